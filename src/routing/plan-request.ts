import type { IncomingHttpHeaders } from 'node:http';
import type { Gateway } from '../gateway.js';
import type { Endpoint } from '../providers/types.js';
import { estimatePromptTokens, requestedMaxTokens } from './estimate.js';
import { resolveCandidates } from './planner.js';
import { applyPreferences } from './preferences.js';
import type { Candidate } from './strategy.js';

export interface PlanError {
  status: 400 | 404;
  message: string;
  param: string | null;
  code: string;
}

export type Plan = { ok: true; candidates: Candidate[]; strategy: string; session?: string } | { ok: false; error: PlanError };

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * plan: resolve candidates -> order with the chosen strategy (route, or `x-switchyard-strategy`) ->
 * apply the request's wishes (`x-switchyard-provider`, `x-switchyard-fallback`, `x-switchyard-session`).
 * Breakers are not consulted here: the attempt loop gates each candidate as it comes.
 */
export function planRequest(gateway: Gateway, endpoint: Endpoint, body: Record<string, unknown>, model: string, stream: boolean, headers: IncomingHttpHeaders): Plan {
  const strategyName = header(headers, 'x-switchyard-strategy') ?? gateway.strategyNameFor(model);
  const strategy = gateway.strategies.get(strategyName);
  if (!strategy) {
    return fail(400, `Unknown strategy "${strategyName}" in x-switchyard-strategy (available: ${[...gateway.strategies.keys()].join(', ')}).`, 'x-switchyard-strategy', 'unknown_strategy');
  }
  const pin = header(headers, 'x-switchyard-provider');
  if (pin !== undefined && !gateway.providers.has(pin)) {
    return fail(400, `Unknown provider "${pin}" in x-switchyard-provider.`, 'x-switchyard-provider', 'unknown_provider');
  }
  const candidates = resolveCandidates(model, gateway.providers, gateway.chain, (p) => gateway.adapters.get(p)!.endpoints.has(endpoint));
  if (candidates.length === 0) {
    return fail(404, `The model \`${model}\` is not served by any configured provider.`, 'model', 'model_not_found');
  }
  if (pin !== undefined && !candidates.some((c) => c.provider === pin)) {
    return fail(400, `Provider "${pin}" does not serve the model \`${model}\`.`, 'x-switchyard-provider', 'provider_cannot_serve');
  }
  const snapshot = gateway.snapshot();
  const maxTokens = requestedMaxTokens(body);
  const ordered = strategy({
    candidates,
    request: { model, stream, estimatedPromptTokens: estimatePromptTokens(body), ...(maxTokens !== undefined ? { maxTokens } : {}) },
    snapshot,
  });
  const fallback = !/^(false|0|no|none|off)$/i.test(header(headers, 'x-switchyard-fallback') ?? '');
  const session = header(headers, 'x-switchyard-session');
  const sessionProvider = session ? gateway.sessions.get(session, snapshot.now) : undefined;
  return {
    ok: true,
    candidates: applyPreferences(ordered, { fallback, ...(pin ? { pin } : {}), ...(sessionProvider ? { sessionProvider } : {}) }, snapshot),
    strategy: strategyName,
    ...(session ? { session } : {}),
  };
}

const fail = (status: 400 | 404, message: string, param: string | null, code: string): Plan => ({ ok: false, error: { status, message, param, code } });

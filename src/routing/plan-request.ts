import type { IncomingHttpHeaders } from 'node:http';
import type { Gateway } from '../gateway.js';
import type { Endpoint } from '../providers/types.js';
import { estimatePromptTokens, requestedMaxTokens } from './estimate.js';
import { filterByCapabilities, needsOf } from './capabilities.js';
import { resolveCandidates } from './planner.js';
import { applyPreferences } from './preferences.js';
import type { Candidate } from './strategy.js';

export interface PlanError {
  status: 400 | 404;
  message: string;
  param: string | null;
  code: string;
}

export type Plan =
  | { ok: true; candidates: Candidate[]; strategy: string; estimatedPromptTokens: number; session?: string }
  | { ok: false; error: PlanError };

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};

/**
 * plan: resolve candidates (a model alias's targets, or the providers that serve the model) -> drop those
 * that lack what the request needs (images, tools, JSON mode, context) -> order with the chosen strategy (route, or `x-switchyard-strategy`) ->
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
  const canServe = (p: string) => gateway.adapters.get(p)!.endpoints.has(endpoint);
  const alias = gateway.config.models[model];
  const resolved = alias
    ? alias.flatMap((t, chainIndex) => (canServe(t.provider) ? [{ provider: t.provider, model: t.model, chainIndex }] : []))
    : resolveCandidates(model, gateway.providers, gateway.chain, canServe);
  if (resolved.length === 0) {
    return fail(404, `The model \`${model}\` is not served by any configured provider${endpoint === 'completions' ? ' on /v1/completions' : ''}.`, 'model', 'model_not_found');
  }
  const estimatedPromptTokens = estimatePromptTokens(body);
  const maxTokens = requestedMaxTokens(body);
  const { kept: candidates, missing } = gateway.declaresCapabilities
    ? filterByCapabilities(resolved, gateway.providers, needsOf(body, estimatedPromptTokens, maxTokens))
    : { kept: resolved, missing: [] };
  if (candidates.length === 0) {
    return fail(400, `No provider for \`${model}\` can serve this request: it needs ${missing.join(' and ')}.`, null, 'unsupported_by_providers');
  }
  if (pin !== undefined && !candidates.some((c) => c.provider === pin)) {
    return fail(400, `Provider "${pin}" does not serve the model \`${model}\`.`, 'x-switchyard-provider', 'provider_cannot_serve');
  }
  const snapshot = gateway.snapshot();
  const ordered = strategy({
    candidates,
    request: { model, stream, estimatedPromptTokens, ...(maxTokens !== undefined ? { maxTokens } : {}) },
    snapshot,
  });
  const fallback = !/^(false|0|no|none|off)$/i.test(header(headers, 'x-switchyard-fallback') ?? '');
  const session = header(headers, 'x-switchyard-session');
  const sessionProvider = session ? gateway.sessions.get(session, snapshot.now) : undefined;
  return {
    ok: true,
    candidates: applyPreferences(ordered, { fallback, ...(pin ? { pin } : {}), ...(sessionProvider ? { sessionProvider } : {}) }, snapshot),
    strategy: strategyName,
    estimatedPromptTokens,
    ...(session ? { session } : {}),
  };
}

const fail = (status: 400 | 404, message: string, param: string | null, code: string): Plan => ({ ok: false, error: { status, message, param, code } });

import type { Gateway } from '../gateway.js';
import { resolveCandidates } from '../routing/candidates.js';
import { filterByCapabilities, needsOf } from '../routing/capabilities.js';
import { estimatePromptTokens, requestedMaxTokens } from '../routing/estimate.js';
import { applyPreferences } from '../routing/preferences.js';
import type { Candidate } from '../routing/strategy.js';
import { type ApiError, gatewayError } from './errors.js';
import type { CoreRequest, RouteOptions } from './request.js';

/** The candidates of one request, in the order they are to be tried. */
export interface RoutePlan {
  candidates: Candidate[];
  strategy: string;
  estimatedPromptTokens: number;
  /** The caller's output cap (`max_tokens`, `max_completion_tokens`), when it set one. */
  maxTokens?: number;
}

/**
 * Plans a request: resolve candidates (a model alias's targets, or the providers that serve the model)
 * -> drop those that lack what the request needs (images, tools, JSON mode, context) -> order with the
 * chosen strategy (the caller's, the route's, or the default) -> apply the caller's wishes (pin,
 * fallback, session). Breakers are not consulted here: the attempt loop gates each candidate as it comes.
 *
 * @example
 * const plan = planRoute(gateway, { endpoint: 'chat/completions', body, model: 'gpt-4o', stream: false }, options);
 * if ('status' in plan) return plan; // an ApiError: unknown strategy or provider, model not found, ...
 */
export function planRoute(gateway: Gateway, r: CoreRequest, o: RouteOptions): RoutePlan | ApiError {
  const strategyName = o.strategy ?? gateway.strategyNameFor(r.model);
  const strategy = gateway.strategies.get(strategyName);
  if (!strategy) {
    return gatewayError('unknown_strategy', `Unknown strategy "${strategyName}" in x-switchyard-strategy (available: ${[...gateway.strategies.keys()].join(', ')}).`, 'x-switchyard-strategy');
  }
  const pin = o.provider;
  if (pin !== undefined && !gateway.providers.has(pin)) {
    return gatewayError('unknown_provider', `Unknown provider "${pin}" in x-switchyard-provider.`, 'x-switchyard-provider');
  }
  const canServe = (name: string) => gateway.providers.get(name)?.serves(r.endpoint) ?? false;
  const alias = gateway.config.models[r.model];
  const resolved = alias
    ? alias.flatMap((t, chainIndex) => (canServe(t.provider) ? [{ provider: t.provider, model: t.model, chainIndex }] : []))
    : resolveCandidates(r.model, gateway.configs, gateway.chain, canServe);
  if (resolved.length === 0) {
    return gatewayError('model_not_found', `The model \`${r.model}\` is not served by any configured provider${r.endpoint === 'completions' ? ' on /v1/completions' : ''}.`, 'model');
  }
  const estimatedPromptTokens = estimatePromptTokens(r.body);
  const maxTokens = requestedMaxTokens(r.body);
  const { kept: candidates, missing } = gateway.declaresCapabilities
    ? filterByCapabilities(resolved, gateway.configs, needsOf(r.body, estimatedPromptTokens, maxTokens))
    : { kept: resolved, missing: [] };
  if (candidates.length === 0) {
    return gatewayError('unsupported_by_providers', `No provider for \`${r.model}\` can serve this request: it needs ${missing.join(' and ')}.`);
  }
  if (pin !== undefined && !candidates.some((c) => c.provider === pin)) {
    return gatewayError('provider_cannot_serve', `Provider "${pin}" does not serve the model \`${r.model}\`.`, 'x-switchyard-provider');
  }
  const snapshot = gateway.snapshot();
  const sloMs = gateway.config.routing.routes[r.model]?.slo_ms;
  const ordered = strategy({
    candidates,
    request: { model: r.model, stream: r.stream, estimatedPromptTokens, ...(maxTokens !== undefined ? { maxTokens } : {}), ...(sloMs !== undefined ? { sloMs } : {}) },
    snapshot,
  });
  const sessionProvider = o.session ? gateway.sessions.get(o.session, snapshot.now) : undefined;
  return {
    candidates: applyPreferences(ordered, { fallback: o.fallback ?? true, ...(pin ? { pin } : {}), ...(sessionProvider ? { sessionProvider } : {}) }, snapshot),
    strategy: strategyName,
    estimatedPromptTokens,
    ...(maxTokens !== undefined ? { maxTokens } : {}),
  };
}

import type { Config } from '../config/schema.js';
import type { Gateway } from '../gateway.js';
import type { AttemptRecord } from '../routing/attempt-loop.js';
import { resolveCandidates } from '../routing/candidates.js';
import { filterByCapabilities, needsOf } from '../routing/capabilities.js';
import { estimatePromptTokens, requestedMaxTokens } from '../routing/estimate.js';
import { parseLane } from '../routing/lanes.js';
import { applyPreferences, type Preferences } from '../routing/preferences.js';
import type { Candidate, Lane, StrategyRequest } from '../routing/strategy.js';
import { type ApiError, gatewayError } from './errors.js';
import { narrowCandidates, nothingLeft } from './plan-narrow.js';
import type { CoreRequest, RouteOptions } from './request.js';

/** The candidates of one request, in the order they are to be tried. */
export interface RoutePlan {
  candidates: Candidate[];
  strategy: string;
  /** The routing settings in force for it (the mode's, or the top level's): deadlines, attempts. */
  routing: Config['routing'];
  /** The mode it was routed under, if any. */
  mode?: string;
  estimatedPromptTokens: number;
  /** The caller's output cap (`max_tokens`, `max_completion_tokens`), when it set one. */
  maxTokens?: number;
  /** The request's priority lane. */
  lane: Lane;
  /** Candidates left out before the attempts (no caller key for a passthrough provider, the lane's rules), with why. */
  skipped: AttemptRecord[];
}

/**
 * Plans a request: resolve candidates (a model alias's targets, or the providers that serve the model)
 * -> drop those that lack what the request needs (images, tools, JSON mode, context) -> order with the
 * chosen strategy (the caller's, the route's, or the default) -> skip `passthrough` providers without the
 * caller's key -> apply the priority lane -> apply the caller's wishes (prefer, pin, fallback, session).
 * Breakers are not consulted here: the attempt loop gates each candidate as it comes.
 *
 * @example
 * const plan = planRoute(gateway, { endpoint: 'chat/completions', body, model: 'gpt-4o', stream: false }, options);
 * if ('status' in plan) return plan; // an ApiError: unknown strategy or provider, model not found, ...
 */
export function planRoute(gateway: Gateway, r: CoreRequest, o: RouteOptions): RoutePlan | ApiError {
  const view = gateway.view(o.mode);
  if ('status' in view) return view;
  const strategyName = o.strategy ?? view.routing.routes[r.model]?.strategy ?? view.routing.strategy;
  const strategy = gateway.strategies.get(strategyName);
  if (!strategy) {
    return gatewayError('unknown_strategy', `Unknown strategy "${strategyName}" in x-switchyard-strategy (available: ${[...gateway.strategies.keys()].join(', ')}).`, 'x-switchyard-strategy');
  }
  const pin = o.provider;
  if (pin !== undefined && !gateway.providers.has(pin)) {
    return gatewayError('unknown_provider', `Unknown provider "${pin}" in x-switchyard-provider.`, 'x-switchyard-provider');
  }
  const lane = o.priority === undefined ? 'normal' : parseLane(o.priority);
  if (lane === undefined) {
    return gatewayError('invalid_request', `Unknown priority "${o.priority}" in x-switchyard-priority (one of: high, normal, low).`, 'x-switchyard-priority');
  }
  const unknownPreferred = o.prefer?.find((p) => !gateway.providers.has(p));
  if (unknownPreferred !== undefined) {
    return gatewayError('unknown_provider', `Unknown provider "${unknownPreferred}" in x-switchyard-prefer.`, 'x-switchyard-prefer');
  }
  const canServe = (name: string) => gateway.providers.get(name)?.serves(r.endpoint) ?? false;
  const alias = view.models[r.model];
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
  const sloMs = view.routing.routes[r.model]?.slo_ms;
  const request: StrategyRequest = { model: r.model, stream: r.stream, estimatedPromptTokens, lane };
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (sloMs !== undefined) request.sloMs = sloMs;
  const ordered = strategy({ candidates, request, snapshot });
  const { candidates: narrowed, skipped } = narrowCandidates(gateway, ordered, lane, o, snapshot, view.routing.lanes);
  const sessionProvider = o.session ? gateway.sessions.get(o.session, snapshot.now) : undefined;
  const wishes: Preferences = { fallback: o.fallback ?? true };
  if (pin) wishes.pin = pin;
  if (sessionProvider) wishes.sessionProvider = sessionProvider;
  if (o.prefer) wishes.prefer = o.prefer;
  const planned = applyPreferences(narrowed, wishes, snapshot);
  gateway.metrics.recordLane(lane, planned.length > 0 ? 'routed' : 'shed');
  if (planned.length === 0) return nothingLeft(r.model, lane, skipped);
  const plan: RoutePlan = { candidates: planned, strategy: strategyName, routing: view.routing, estimatedPromptTokens, lane, skipped };
  if (view.mode !== undefined) plan.mode = view.mode;
  if (maxTokens !== undefined) plan.maxTokens = maxTokens;
  return plan;
}

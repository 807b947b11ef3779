/**
 * The planner's narrowing after the strategy: providers that take only the caller's own key and got
 * none are skipped, then the request's priority lane is applied. What is dropped is kept, so that an
 * answer with nothing left (or an exhausted loop) says why.
 */
import type { Config } from '../config/schema.js';
import type { Gateway } from '../gateway.js';
import type { AttemptRecord } from '../routing/attempt-loop.js';
import { applyLane, type LaneRules } from '../routing/lanes.js';
import type { Candidate, Lane, RoutingSnapshot } from '../routing/strategy.js';
import { type ApiError, gatewayError } from './errors.js';
import type { RouteOptions } from './request.js';

/** What may be tried, and what was left out with its reason (as the `tried` list shows skips). */
export interface Narrowed {
  candidates: Candidate[];
  skipped: AttemptRecord[];
}

/** What a provider with `client_keys: passthrough` says when the request carried no key for it. */
export const CALLER_KEY_MISSING = "needs the caller's own key (client_keys: passthrough): send x-switchyard-provider-key or x-switchyard-provider-key-<provider>";

/**
 * Skips `passthrough` providers the caller sent no key for, then applies the lane (`routing/lanes.ts`) by
 * the lane rules in force (the mode's `routing.lanes`, or the top level's).
 *
 * @example
 * const { candidates, skipped } = narrowCandidates(gateway, ordered, 'low', options, snapshot, view.routing.lanes);
 */
export function narrowCandidates(gateway: Gateway, ordered: readonly Candidate[], lane: Lane, o: RouteOptions, snapshot: RoutingSnapshot, lanes: Config['routing']['lanes']): Narrowed {
  const skipped: AttemptRecord[] = [];
  const keyed = ordered.filter((c) => {
    const config = gateway.configs.get(c.provider);
    if (config?.client_keys !== 'passthrough' || o.callerKeys?.for(c.provider) !== undefined) return true;
    skipped.push({ provider: c.provider, model: c.model, result: 'skipped', detail: CALLER_KEY_MISSING });
    return false;
  });
  const laned = applyLane(keyed, lane, laneRulesOf(lanes), snapshot, (p) => gateway.configs.get(p)?.tier);
  for (const d of laned.dropped) skipped.push({ provider: d.candidate.provider, model: d.candidate.model, result: 'skipped', detail: d.reason });
  return { candidates: laned.candidates, skipped };
}

/**
 * `routing.lanes` as the pure rules take it.
 *
 * @example
 * laneRulesOf(config.routing.lanes); // { reserve: 0.2, lowMaxUse: 0.5, avoid: ['premium'] }
 */
export function laneRulesOf(l: Config['routing']['lanes']): LaneRules {
  return { reserve: l.high.reserve, lowMaxUse: l.low.max_headroom_use, avoid: l.low.avoid };
}

/**
 * The refusal when narrowing (and the caller's pin) left nothing to try: 401 when only missing caller
 * keys are to blame, 429 when the lane held providers back.
 *
 * @example
 * if (candidates.length === 0) return nothingLeft(r.model, lane, skipped);
 */
export function nothingLeft(model: string, lane: Lane, skipped: readonly AttemptRecord[]): ApiError {
  const why = skipped.map((a) => `${a.provider} (${a.model}): skipped, ${a.detail}`).join('; ');
  if (skipped.length > 0 && skipped.every((a) => a.detail === CALLER_KEY_MISSING)) {
    return gatewayError('caller_key_required', `No provider for model \`${model}\` can be used without the caller's own key: ${why}.`);
  }
  return gatewayError('lane_capacity_reserved', `No provider for model \`${model}\` has capacity the ${lane} lane may use: ${why || 'none left'}.`, 'x-switchyard-priority');
}

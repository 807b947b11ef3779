/**
 * Priority lanes (`x-switchyard-priority: high | normal | low`): applied to the strategy's order, before
 * the caller's preferences. Pure: decided from the routing snapshot and the lane rules of the config.
 */
import { capacityOf, runsOut } from './quota.js';
import type { Candidate, Lane, RoutingSnapshot } from './strategy.js';

/** `routing.lanes`, as the rules need it. */
export interface LaneRules {
  /** `lanes.high.reserve`: the share of each provider's minute budget kept for the high lane (0..1). */
  reserve: number;
  /** `lanes.low.max_headroom_use`: the share of a provider's budget the low lane may use (0..1). */
  lowMaxUse: number;
  /** `lanes.low.avoid`: provider names or tiers (`tier:` of a provider) the low lane never uses. */
  avoid: readonly string[];
}

/** Rules that change nothing: no reserve, the whole budget for low, nothing avoided. */
export const NO_LANE_RULES: LaneRules = { reserve: 0, lowMaxUse: 1, avoid: [] };

/** The lanes a request may name. */
export const LANES: readonly Lane[] = ['high', 'normal', 'low'];

/**
 * A header or option value as a lane (case-insensitive, trimmed); undefined for anything else.
 *
 * @example
 * parseLane(' High '); // 'high'
 * parseLane('urgent'); // undefined
 */
export function parseLane(value: string): Lane | undefined {
  const v = value.trim().toLowerCase();
  return (LANES as readonly string[]).includes(v) ? (v as Lane) : undefined;
}

/** What the lane left of the strategy's order, and why it dropped the rest. */
export interface LaneOrder {
  candidates: Candidate[];
  /** Candidates the low lane may not use, each with the reason. */
  dropped: Array<{ candidate: Candidate; reason: string }>;
}

/**
 * The low lane's floor: it uses a provider only while its capacity (the smaller of request and token
 * headroom) is above `max(reserve, 1 - lowMaxUse)`.
 *
 * @example
 * lowFloor({ reserve: 0.2, lowMaxUse: 0.5, avoid: [] }); // 0.5
 */
export function lowFloor(rules: LaneRules): number {
  return Math.max(rules.reserve, 1 - rules.lowMaxUse);
}

/**
 * Applies a lane to the strategy's order. The rules, with capacity = the smaller of a provider's request
 * and token headroom (1 when unknown):
 * - `high`: the strategy's order as it is; it may use every provider's reserve.
 * - `normal`: providers at or below the high lane's `reserve` (capacity <= reserve, when reserve > 0)
 *   go after the others, each group in the strategy's order: the reserve is used as a last resort.
 * - `low`: only providers that are not in `avoid` (by name or `tier`), whose capacity is above
 *   `max(reserve, 1 - max_headroom_use)`, and that are not predicted to run out of their minute budget
 *   before it resets; the others are dropped (not tried at all), in the strategy's order otherwise.
 *
 * @example
 * const { candidates, dropped } = applyLane(ordered, 'low', rules, snapshot, (p) => configs.get(p)?.tier);
 * if (candidates.length === 0) refuse(dropped);
 */
export function applyLane(ordered: readonly Candidate[], lane: Lane, rules: LaneRules, snapshot: RoutingSnapshot, tierOf: (provider: string) => string | undefined): LaneOrder {
  if (lane === 'high') return { candidates: [...ordered], dropped: [] };
  if (lane === 'normal') {
    if (rules.reserve <= 0) return { candidates: [...ordered], dropped: [] };
    const inReserve = (c: Candidate) => capacityOf(snapshot.providers.get(c.provider)) <= rules.reserve;
    return { candidates: [...ordered.filter((c) => !inReserve(c)), ...ordered.filter(inReserve)], dropped: [] };
  }
  const floor = lowFloor(rules);
  const out: LaneOrder = { candidates: [], dropped: [] };
  for (const c of ordered) {
    const reason = lowLaneRefusal(c, rules, floor, snapshot, tierOf);
    if (reason === undefined) out.candidates.push(c);
    else out.dropped.push({ candidate: c, reason });
  }
  return out;
}

/** Why the low lane may not use this candidate; undefined when it may. */
function lowLaneRefusal(c: Candidate, rules: LaneRules, floor: number, snapshot: RoutingSnapshot, tierOf: (provider: string) => string | undefined): string | undefined {
  const tier = tierOf(c.provider);
  if (rules.avoid.includes(c.provider) || (tier !== undefined && rules.avoid.includes(tier))) return 'avoided by the low lane (routing.lanes.low.avoid)';
  const view = snapshot.providers.get(c.provider);
  const capacity = capacityOf(view);
  if (capacity <= floor) return `capacity ${round(capacity)} is not above the low lane's floor ${round(floor)}`;
  if (runsOut(view)) return `predicted to run out of its minute budget in ${Math.round(view?.exhaustsInS ?? 0)}s`;
  return undefined;
}

const round = (x: number) => Math.round(x * 100) / 100;

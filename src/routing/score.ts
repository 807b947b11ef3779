/**
 * The composite `score` strategy: capacity, latency and static weight in one number per candidate,
 * weighed per priority lane. `strategies/score.ts` is it with the default weights; `routing.lanes.<lane>.score`
 * in config replaces it with other weights (`configuredScoreWeights`), and a custom strategy file can
 * export `scoreStrategy({...})` with its own.
 */
import { capacityOf, runsOut } from './quota.js';
import { byChain, type Candidate, type Lane, type ProviderView, type Strategy } from './strategy.js';

/** How much each term counts; the terms are each in [0, 1]. */
export interface ScoreWeights {
  capacity: number;
  latency: number;
  weight: number;
}

/**
 * Default weights per lane: user-facing `high` traffic goes mostly by speed; `low` (batch) mostly by
 * spare capacity and not at all by speed; `normal` balances the three.
 */
export const DEFAULT_SCORE_WEIGHTS: Readonly<Record<Lane, ScoreWeights>> = {
  high: { capacity: 0.2, latency: 0.6, weight: 0.2 },
  normal: { capacity: 0.4, latency: 0.3, weight: 0.3 },
  low: { capacity: 0.6, latency: 0, weight: 0.4 },
};

/** The candidate's recent median latency for this kind of request (streams: time to first chunk). */
const latencyOf = (view: ProviderView | undefined, stream: boolean): number | undefined => (stream ? (view?.ttftP50Ms ?? view?.latencyP50Ms) : view?.latencyP50Ms);

/**
 * Builds the `score` strategy. Per candidate, with the weights `w` of the request's lane (absent: normal):
 *
 *     score = w.capacity * capacity + w.latency * speed + w.weight * share
 *
 * - capacity: the smaller of its request and token headroom (unknown: 1), and 0 when it is predicted to
 *   run out of its minute budget before that resets (`exhaustsInS`);
 * - speed: fastest measured latency among the candidates / its latency (1 for the fastest; 1 while
 *   unmeasured, so that a new provider gets measured);
 * - share: its configured `weight` / the largest weight among the candidates (0 when that is 0).
 *
 * Highest score first; equal scores keep chain order. Pure, no chance.
 *
 * @example
 * // strategies/fast-batch.js: a custom file with other weights
 * import { scoreStrategy } from 'switchyard';
 * export default scoreStrategy({ low: { capacity: 0.8, latency: 0, weight: 0.2 } });
 */
export function scoreStrategy(weights: Partial<Record<Lane, ScoreWeights>> = {}): Strategy {
  const byLane = { ...DEFAULT_SCORE_WEIGHTS, ...weights };
  return ({ candidates, request, snapshot }) => {
    const w = byLane[request.lane ?? 'normal'];
    const views = candidates.map((c) => snapshot.providers.get(c.provider));
    const latencies = views.map((v) => latencyOf(v, request.stream));
    const measured = latencies.filter((ms): ms is number => ms !== undefined && ms > 0);
    const fastest = measured.length > 0 ? Math.min(...measured) : undefined;
    const maxWeight = Math.max(0, ...views.map((v) => v?.weight ?? 1));
    const keyed = candidates.map((c: Candidate, i) => {
      const view = views[i];
      const ms = latencies[i];
      const capacity = runsOut(view) ? 0 : capacityOf(view);
      const speed = fastest === undefined || ms === undefined || ms <= 0 ? 1 : fastest / ms;
      const share = maxWeight > 0 ? (view?.weight ?? 1) / maxWeight : 0;
      return { c, score: w.capacity * capacity + w.latency * speed + w.weight * share };
    });
    keyed.sort((a, b) => b.score - a.score || byChain(a.c, b.c));
    return keyed.map((k) => k.c);
  };
}

/**
 * The per-lane weights `routing.lanes.<lane>.score` sets, or undefined when none does (the built-in
 * `score` then serves as it is).
 *
 * @example
 * configuredScoreWeights({ high: { score: { capacity: 0, latency: 1, weight: 0 } }, normal: {}, low: {} }); // { high: {...} }
 */
export function configuredScoreWeights(lanes: Readonly<Partial<Record<Lane, { score?: ScoreWeights | undefined }>>>): Partial<Record<Lane, ScoreWeights>> | undefined {
  const set = Object.entries(lanes).flatMap(([lane, rules]) => (rules?.score ? [[lane, rules.score] as const] : []));
  return set.length > 0 ? Object.fromEntries(set) : undefined;
}

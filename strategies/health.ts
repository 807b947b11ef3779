import type { CircuitState } from '../src/routing/circuit-breaker.js';
import { byChain, type Candidate, type Strategy } from '../src/routing/strategy.js';

/** Closed breakers first; open ones are normally skipped anyway; half-open (still on probation) last. */
const STATE_RANK: Record<CircuitState, number> = { closed: 0, open: 1, half_open: 2 };

/** A provider whose status page reports a major or critical outage goes after the others (but before half-open). */
const outage = (s: string | undefined): number => (s === 'major' || s === 'critical' ? 1 : 0);

/**
 * Healthiest first: by breaker state, then a reported outage, then by recent success rate
 * (descending), then chain order.
 * A provider with no outcomes yet, or no view at all, counts as healthy (closed, rate 1) until
 * proven otherwise.
 */
const health: Strategy = ({ candidates, snapshot }) => {
  const keyed = candidates.map((c: Candidate) => {
    const view = snapshot.providers.get(c.provider);
    const outcomes = view ? view.successes + view.failures : 0;
    const rate = view && outcomes > 0 ? view.successes / outcomes : 1;
    const state = STATE_RANK[view?.state ?? 'closed'];
    return { c, rank: state === 0 ? outage(view?.statusPage) : state + 1, rate };
  });
  keyed.sort((a, b) => a.rank - b.rank || b.rate - a.rate || byChain(a.c, b.c));
  return keyed.map((k) => k.c);
};

export default health;

import { capacityOf, runsOut } from '../src/routing/quota.js';
import { byChain, type Candidate, type Strategy } from '../src/routing/strategy.js';

/** Below this fraction of its request or token budget left, a provider is about to be rate limited. */
const LOW_HEADROOM = 0.05;

/**
 * Rate-limit aware: most remaining budget first, where a candidate's headroom is the smaller of its
 * request and token headroom (unknown = 1, full). Candidates under LOW_HEADROOM, and those predicted
 * to run out of their minute budget before it resets at the current pace (`exhaustsInS`, see
 * `src/routing/quota.ts`), go last, so that traffic moves away before they answer 429. Ties (e.g. all
 * unknown) keep chain order.
 */
const headroom: Strategy = ({ candidates, snapshot }) => {
  const keyed = candidates.map((c: Candidate) => {
    const view = snapshot.providers.get(c.provider);
    const h = capacityOf(view);
    return { c, h, low: h < LOW_HEADROOM || runsOut(view) ? 1 : 0 };
  });
  keyed.sort((a, b) => a.low - b.low || b.h - a.h || byChain(a.c, b.c));
  return keyed.map((k) => k.c);
};

export default headroom;

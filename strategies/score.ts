import { scoreStrategy } from '../src/routing/score.js';

/**
 * Composite: capacity (headroom, 0 when predicted to run out), latency and static weight, weighed per
 * priority lane (see `src/routing/score.ts` for the formula and DEFAULT_SCORE_WEIGHTS).
 */
const score = scoreStrategy();

export default score;

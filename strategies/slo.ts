import { byChain, type Candidate, type ProviderView, type Strategy, type StrategyRequest } from '../src/routing/strategy.js';

/** Probability that one call puts an unmeasured candidate first while a compliant one is known. */
const EXPLORE = 0.05;

/** Output tokens assumed when the client set no `max_tokens` (as the `cost` strategy does). */
const DEFAULT_EXPECTED_OUTPUT_TOKENS = 256;

/** A candidate's recent p95 in ms: time to first chunk for streams (whole answer until measured), whole answer otherwise. */
function p95Of(view: ProviderView | undefined, stream: boolean): number | undefined {
  return stream ? (view?.ttftP95Ms ?? view?.latencyP95Ms) : view?.latencyP95Ms;
}

interface Rated {
  c: Candidate;
  usd: number;
  p95: number | undefined;
}

const byCost = (a: Rated, b: Rated): number => a.usd - b.usd || byChain(a.c, b.c);

/**
 * The cheapest candidate that meets the route's latency objective (`routing.routes.<model>.slo_ms`),
 * then the rest by latency:
 *
 *   usd(c)       = (prompt tokens x price.input + expected output x price.output) / 1e6   (unpriced: +inf)
 *   compliant    = { c measured : p95(c) <= slo_ms }, by usd ascending
 *   unmeasured   = { c without a p95 yet }, by usd ascending
 *   violating    = { c measured : p95(c) >  slo_ms }, by p95 ascending
 *   order        = compliant ++ unmeasured ++ violating
 *
 * p95 is the time to first chunk for streams and the whole answer otherwise, over the recent window.
 * Unmeasured candidates are explored at a bounded rate: when a compliant candidate exists, with
 * probability EXPLORE (5%) the cheapest unmeasured one goes first; otherwise they wait behind the
 * compliant ones. Without `slo_ms` every measured candidate counts as compliant (cheapest first).
 * Ties keep chain order. Draws `random()` at most once per call.
 */
const slo: Strategy = ({ candidates, request, snapshot }) => {
  const rated = candidates.map((c) => rate(c, request, snapshot.price(c.provider, c.model), p95Of(snapshot.providers.get(c.provider), request.stream)));
  const limit = request.sloMs ?? Infinity;
  const compliant = rated.filter((r) => r.p95 !== undefined && r.p95 <= limit).sort(byCost);
  const unmeasured = rated.filter((r) => r.p95 === undefined).sort(byCost);
  const violating = rated.filter((r) => r.p95 !== undefined && r.p95 > limit).sort((a, b) => a.p95! - b.p95! || byChain(a.c, b.c));
  if (compliant.length > 0 && unmeasured.length > 0 && snapshot.random() < EXPLORE) {
    const [first, ...rest] = unmeasured;
    return [first!, ...compliant, ...rest, ...violating].map((r) => r.c);
  }
  return [...compliant, ...unmeasured, ...violating].map((r) => r.c);
};

function rate(c: Candidate, request: StrategyRequest, price: { input: number; output: number } | undefined, p95: number | undefined): Rated {
  const expectedOutput = request.maxTokens ?? DEFAULT_EXPECTED_OUTPUT_TOKENS;
  const usd = price === undefined ? Infinity : (request.estimatedPromptTokens * price.input + expectedOutput * price.output) / 1e6;
  return { c, usd, p95 };
}

export default slo;

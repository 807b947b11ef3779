import { byChain, type Candidate, type Strategy } from '../src/routing/strategy.js';

/** Output tokens assumed when the client set no `max_tokens`. */
const DEFAULT_EXPECTED_OUTPUT_TOKENS = 256;

/**
 * Cheapest first: the estimated USD cost of this request on each candidate, from the configured
 * price of its model (prompt estimate + expected output). Unpriced candidates go after all priced
 * ones, since their cost is unknown; ties and unpriced ones keep chain order.
 */
const cost: Strategy = ({ candidates, request, snapshot }) => {
  const expectedOutput = request.maxTokens ?? DEFAULT_EXPECTED_OUTPUT_TOKENS;
  const priced: { c: Candidate; usd: number }[] = [];
  const unpriced: Candidate[] = [];
  for (const c of candidates) {
    const price = snapshot.price(c.provider, c.model);
    if (price === undefined) unpriced.push(c);
    else priced.push({ c, usd: (request.estimatedPromptTokens * price.input + expectedOutput * price.output) / 1e6 });
  }
  priced.sort((a, b) => a.usd - b.usd || byChain(a.c, b.c));
  return [...priced.map((p) => p.c), ...unpriced.sort(byChain)];
};

export default cost;

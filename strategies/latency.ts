import { byChain, type Candidate, type Strategy } from '../src/routing/strategy.js';

/** Probability that one call explores: puts a measured candidate other than the fastest first. */
const EXPLORE = 0.05;

/**
 * Fastest first by recent median latency (time to first chunk for streams, falling back to whole
 * answers). Unmeasured candidates come first so that they get measured. With probability EXPLORE a
 * random measured candidate other than the fastest is moved to the front, so that a provider that
 * was slow once is measured again. Ties keep chain order. Draws `random()` once per call, and a
 * second time only when exploring.
 */
const latency: Strategy = ({ candidates, request, snapshot }) => {
  const unmeasured: Candidate[] = [];
  const measured: { c: Candidate; ms: number }[] = [];
  for (const c of candidates) {
    const view = snapshot.providers.get(c.provider);
    const ms = request.stream ? (view?.ttftP50Ms ?? view?.latencyP50Ms) : view?.latencyP50Ms;
    if (ms === undefined) unmeasured.push(c);
    else measured.push({ c, ms });
  }
  unmeasured.sort(byChain);
  const fastest = measured.sort((a, b) => a.ms - b.ms || byChain(a.c, b.c)).map((m) => m.c);
  const order = [...unmeasured, ...fastest];
  if (snapshot.random() < EXPLORE && fastest.length > 1) {
    const others = fastest.length - 1;
    const pick = fastest[1 + Math.min(others - 1, Math.floor(snapshot.random() * others))]!;
    return [pick, ...order.filter((c) => c !== pick)];
  }
  return order;
};

export default latency;

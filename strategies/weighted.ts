import { byChain, type Candidate, type Strategy } from '../src/routing/strategy.js';

/**
 * Weighted random order, to spread load across keys or deployments by their configured `weight`
 * (default 1): each position is drawn among the remaining candidates with probability proportional
 * to weight. Weight 0 or less means "last resort only": those go last in chain order. Candidates are
 * taken in chain order before drawing, so the result depends only on the `random()` sequence (one
 * draw per position while two or more positive-weight candidates remain).
 */
const weighted: Strategy = ({ candidates, snapshot }) => {
  const all = [...candidates].sort(byChain).map((c: Candidate) => ({ c, w: snapshot.providers.get(c.provider)?.weight ?? 1 }));
  const remaining = all.filter((x) => x.w > 0);
  const lastResort = all.filter((x) => !(x.w > 0)).map((x) => x.c);
  const out: Candidate[] = [];
  while (remaining.length > 0) {
    let i = 0;
    if (remaining.length > 1) {
      let r = snapshot.random() * remaining.reduce((sum, x) => sum + x.w, 0);
      while (i < remaining.length - 1 && r >= remaining[i]!.w) r -= remaining[i++]!.w;
    }
    out.push(remaining.splice(i, 1)[0]!.c);
  }
  return [...out, ...lastResort];
};

export default weighted;

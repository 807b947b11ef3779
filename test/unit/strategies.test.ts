import { describe, expect, it } from 'vitest';
import type { Candidate, Price, ProviderView, RoutingSnapshot, Strategy, StrategyRequest } from '../../src/routing/strategy.js';
import cost from '../../strategies/cost.js';
import headroom from '../../strategies/headroom.js';
import health from '../../strategies/health.js';
import latency from '../../strategies/latency.js';
import priority from '../../strategies/priority.js';
import score from '../../strategies/score.js';
import slo from '../../strategies/slo.js';
import weighted from '../../strategies/weighted.js';

const cand = (provider: string, chainIndex: number, model = 'm'): Candidate => ({ provider, model, chainIndex });

const view = (extra: Partial<ProviderView> = {}): ProviderView => ({
  state: 'closed',
  requests: 0,
  successes: 0,
  failures: 0,
  weight: 1,
  ...extra,
});

interface SnapOpts {
  views?: Record<string, Partial<ProviderView>>;
  prices?: Record<string, Price>;
  randoms?: number[];
}

/** A snapshot from plain data; `draws` counts calls to random(). */
const snap = ({ views = {}, prices = {}, randoms = [] }: SnapOpts = {}): RoutingSnapshot & { draws: () => number } => {
  const seq = [...randoms];
  let draws = 0;
  return {
    now: 1_000,
    providers: new Map(Object.entries(views).map(([name, v]) => [name, view(v)])),
    price: (provider, model) => prices[`${provider}/${model}`],
    random: () => {
      draws++;
      return seq.shift() ?? 0.5;
    },
    draws: () => draws,
  };
};

const req = (extra: Partial<StrategyRequest> = {}): StrategyRequest => ({
  model: 'm',
  stream: false,
  estimatedPromptTokens: 1000,
  ...extra,
});

const names = (out: Candidate[]): string[] => out.map((c) => c.provider);

const run = (s: Strategy, candidates: Candidate[], snapshot: RoutingSnapshot, request = req()): string[] => names(s({ candidates, request, snapshot }));

describe('cost strategy', () => {
  const candidates = [cand('a', 0), cand('b', 1), cand('c', 2), cand('d', 3)];

  it('orders cheapest first by estimated prompt + output cost', () => {
    const snapshot = snap({
      prices: { 'a/m': { input: 10, output: 30 }, 'b/m': { input: 1, output: 2 }, 'c/m': { input: 3, output: 15 }, 'd/m': { input: 0.5, output: 1 } },
    });
    expect(run(cost, candidates, snapshot)).toEqual(['d', 'b', 'c', 'a']);
  });

  it('weighs output by max_tokens (default 256), which can flip the order', () => {
    // x: cheap output, dear input; y: the reverse.
    const prices = { 'x/m': { input: 10, output: 1 }, 'y/m': { input: 1, output: 10 } };
    const two = [cand('x', 0), cand('y', 1)];
    // 1000 prompt tokens, 256 out: x = 10256, y = 3560 -> y first.
    expect(run(cost, two, snap({ prices }))).toEqual(['y', 'x']);
    // 1000 prompt tokens, 5000 out: x = 15000, y = 51000 -> x first.
    expect(run(cost, two, snap({ prices }), req({ maxTokens: 5000 }))).toEqual(['x', 'y']);
    // Without max_tokens, 256 output tokens are assumed: u = 1000 + 256 * 20 = 6120 > v = 5000 -> v first
    // (with no output assumed, u = 1000 would come first).
    const assumed = { 'u/m': { input: 1, output: 20 }, 'v/m': { input: 5, output: 0 } };
    expect(run(cost, [cand('u', 0), cand('v', 1)], snap({ prices: assumed }))).toEqual(['v', 'u']);
    expect(run(cost, [cand('u', 0), cand('v', 1)], snap({ prices: assumed }), req({ maxTokens: 100 }))).toEqual(['u', 'v']);
  });

  it('prices by model, not only by provider', () => {
    const prices = { 'p/big': { input: 5, output: 5 }, 'p/small': { input: 1, output: 1 } };
    const out = cost({ candidates: [cand('p', 0, 'big'), cand('p', 1, 'small')], request: req(), snapshot: snap({ prices }) });
    expect(out.map((c) => c.model)).toEqual(['small', 'big']);
  });

  it('puts unpriced candidates after all priced ones, in chain order', () => {
    const snapshot = snap({ prices: { 'd/m': { input: 100, output: 100 }, 'b/m': { input: 200, output: 200 } } });
    const shuffled = [cand('c', 2), cand('d', 3), cand('a', 0), cand('b', 1)];
    expect(run(cost, shuffled, snapshot)).toEqual(['d', 'b', 'a', 'c']);
  });

  it('breaks ties by chain order', () => {
    const same = { input: 1, output: 1 };
    const snapshot = snap({ prices: { 'a/m': same, 'b/m': same, 'c/m': same } });
    expect(run(cost, [cand('c', 2), cand('a', 0), cand('b', 1)], snapshot)).toEqual(['a', 'b', 'c']);
  });
});

describe('latency strategy', () => {
  const candidates = [cand('a', 0), cand('b', 1), cand('c', 2)];
  const views = { a: { latencyP50Ms: 900 }, b: { latencyP50Ms: 100 }, c: { latencyP50Ms: 400 } };

  it('orders fastest first by recent p50 when not exploring', () => {
    const snapshot = snap({ views, randoms: [0.9] });
    expect(run(latency, candidates, snapshot)).toEqual(['b', 'c', 'a']);
    expect(snapshot.draws()).toBe(1);
  });

  it('puts unmeasured candidates (no latency, or no view at all) first, in chain order', () => {
    const snapshot = snap({ views: { a: { latencyP50Ms: 50 }, b: {}, c: { latencyP50Ms: 10 } }, randoms: [0.9] });
    const four = [cand('d', 3), cand('c', 2), cand('b', 1), cand('a', 0)];
    expect(run(latency, four, snapshot)).toEqual(['b', 'd', 'c', 'a']);
  });

  it('uses time to first chunk for streams, falling back to whole-answer latency', () => {
    const v = { a: { latencyP50Ms: 100, ttftP50Ms: 500 }, b: { latencyP50Ms: 300, ttftP50Ms: 50 }, c: { latencyP50Ms: 200 } };
    expect(run(latency, candidates, snap({ views: v, randoms: [0.9] }))).toEqual(['a', 'c', 'b']);
    expect(run(latency, candidates, snap({ views: v, randoms: [0.9] }), req({ stream: true }))).toEqual(['b', 'c', 'a']);
  });

  it('breaks ties by chain order', () => {
    const v = { a: { latencyP50Ms: 100 }, b: { latencyP50Ms: 100 }, c: { latencyP50Ms: 100 } };
    expect(run(latency, [cand('c', 2), cand('b', 1), cand('a', 0)], snap({ views: v, randoms: [0.9] }))).toEqual(['a', 'b', 'c']);
  });

  it('explores on a low draw: a measured candidate other than the fastest goes first', () => {
    // Sorted: b(100), c(400), a(900). Second draw picks uniformly among [c, a].
    const low = snap({ views, randoms: [0.01, 0.2] });
    expect(run(latency, candidates, low)).toEqual(['c', 'b', 'a']);
    expect(low.draws()).toBe(2);
    expect(run(latency, candidates, snap({ views, randoms: [0.04, 0.7] }))).toEqual(['a', 'b', 'c']);
  });

  it('explored candidate goes ahead of unmeasured ones too', () => {
    const v = { a: { latencyP50Ms: 10 }, b: { latencyP50Ms: 20 } };
    const three = [cand('a', 0), cand('b', 1), cand('new', 2)];
    expect(run(latency, three, snap({ views: v, randoms: [0.01, 0.99] }))).toEqual(['b', 'new', 'a']);
    expect(run(latency, three, snap({ views: v, randoms: [0.05] }))).toEqual(['new', 'a', 'b']);
  });

  it('does not explore at exactly EXPLORE, nor with fewer than two measured candidates', () => {
    expect(run(latency, candidates, snap({ views, randoms: [0.05, 0] }))).toEqual(['b', 'c', 'a']);
    const one = snap({ views: { a: { latencyP50Ms: 10 } }, randoms: [0, 0] });
    expect(run(latency, [cand('a', 0), cand('b', 1)], one)).toEqual(['b', 'a']);
    expect(one.draws()).toBe(1);
  });
});

describe('health strategy', () => {
  it('orders closed, then open, then half_open', () => {
    const views = { a: { state: 'half_open' as const }, b: { state: 'open' as const }, c: { state: 'closed' as const } };
    expect(run(health, [cand('a', 0), cand('b', 1), cand('c', 2)], snap({ views }))).toEqual(['c', 'b', 'a']);
  });

  it('within a state, orders by success rate descending', () => {
    const views = {
      a: { successes: 5, failures: 5 }, // 0.5
      b: { successes: 9, failures: 1 }, // 0.9
      c: { successes: 1, failures: 3 }, // 0.25
    };
    expect(run(health, [cand('a', 0), cand('b', 1), cand('c', 2)], snap({ views }))).toEqual(['b', 'a', 'c']);
  });

  it('state outranks success rate', () => {
    const views = { a: { state: 'half_open' as const, successes: 10 }, b: { successes: 1, failures: 9 } };
    expect(run(health, [cand('a', 0), cand('b', 1)], snap({ views }))).toEqual(['b', 'a']);
  });

  it('treats no outcomes and no view as healthy (closed, rate 1)', () => {
    const views = { a: { successes: 99, failures: 1 }, b: { requests: 3 } };
    // b: no outcomes -> 1.0; c: no view -> closed, 1.0; both ahead of a (0.99), tie by chain.
    expect(run(health, [cand('a', 0), cand('c', 2), cand('b', 1)], snap({ views }))).toEqual(['b', 'c', 'a']);
  });

  it('breaks ties by chain order', () => {
    const views = { a: { successes: 1, failures: 1 }, b: { successes: 2, failures: 2 }, c: { successes: 3, failures: 3 } };
    expect(run(health, [cand('c', 2), cand('b', 1), cand('a', 0)], snap({ views }))).toEqual(['a', 'b', 'c']);
  });
});

describe('weighted strategy', () => {
  const views = { a: { weight: 3 }, b: { weight: 1 } };
  const two = [cand('a', 0), cand('b', 1)];

  it('draws in proportion to weight: exact order for a given random sequence', () => {
    // Total 4: a covers [0, 3), b covers [3, 4). 0.74 * 4 = 2.96 -> a; 0.75 * 4 = 3 -> b.
    expect(run(weighted, two, snap({ views, randoms: [0.74] }))).toEqual(['a', 'b']);
    expect(run(weighted, two, snap({ views, randoms: [0.75] }))).toEqual(['b', 'a']);
    // Input order does not matter, only chain order and the random sequence.
    expect(run(weighted, [cand('b', 1), cand('a', 0)], snap({ views, randoms: [0.74] }))).toEqual(['a', 'b']);
  });

  it('draws again among the remaining candidates, one draw per position', () => {
    const v = { a: { weight: 1 }, b: { weight: 2 }, c: { weight: 1 } };
    // Total 4: 0.9 -> c ([3, 4)); remaining a(1), b(2), total 3: 0.2 * 3 = 0.6 -> a; then b without a draw.
    const s = snap({ views: v, randoms: [0.9, 0.2, 0.99] });
    expect(run(weighted, [cand('a', 0), cand('b', 1), cand('c', 2)], s)).toEqual(['c', 'a', 'b']);
    expect(s.draws()).toBe(2);
  });

  it('puts a 3:1 weight first three times out of four over evenly spread draws', () => {
    let aFirst = 0;
    const n = 1000;
    for (let i = 0; i < n; i++) if (run(weighted, two, snap({ views, randoms: [i / n] }))[0] === 'a') aFirst++;
    expect(aFirst / n).toBe(0.75);
  });

  it('defaults a missing view to weight 1', () => {
    // a (3) and c (no view, 1): total 4; 0.8 -> c.
    expect(run(weighted, [cand('a', 0), cand('c', 1)], snap({ views, randoms: [0.8] }))).toEqual(['c', 'a']);
  });

  it('puts zero and negative weights last, in chain order, whatever the draws', () => {
    const v = { z: { weight: 0 }, n: { weight: -2 }, a: { weight: 1 }, b: { weight: 1 } };
    const four = [cand('n', 0), cand('z', 1), cand('a', 2), cand('b', 3)];
    expect(run(weighted, four, snap({ views: v, randoms: [0.99] }))).toEqual(['b', 'a', 'n', 'z']);
    expect(run(weighted, four, snap({ views: v, randoms: [0] }))).toEqual(['a', 'b', 'n', 'z']);
  });
});

describe('headroom strategy', () => {
  it('orders by the smaller of request and token headroom, descending', () => {
    const views = {
      a: { requestHeadroom: 0.9, tokenHeadroom: 0.2 }, // 0.2
      b: { requestHeadroom: 0.5 }, // 0.5
      c: { tokenHeadroom: 0.7, requestHeadroom: 0.8 }, // 0.7
    };
    expect(run(headroom, [cand('a', 0), cand('b', 1), cand('c', 2)], snap({ views }))).toEqual(['c', 'b', 'a']);
  });

  it('treats unknown headroom (no fields, or no view) as full', () => {
    const views = { a: { requestHeadroom: 0.99 }, b: {} };
    expect(run(headroom, [cand('a', 0), cand('b', 1), cand('c', 2)], snap({ views }))).toEqual(['b', 'c', 'a']);
  });

  it('puts candidates about to hit their limit last, by headroom then chain', () => {
    const views = {
      a: { tokenHeadroom: 0.01 },
      b: { requestHeadroom: 0.04 },
      c: { requestHeadroom: 0.05 }, // not low: threshold is strict
      d: { requestHeadroom: 0.01, tokenHeadroom: 0.5 },
    };
    const four = [cand('a', 0), cand('b', 1), cand('c', 2), cand('d', 3)];
    expect(run(headroom, four, snap({ views }))).toEqual(['c', 'b', 'a', 'd']);
  });

  it('breaks ties by chain order', () => {
    const views = { b: { requestHeadroom: 0.3 }, c: { tokenHeadroom: 0.3 } };
    expect(run(headroom, [cand('d', 3), cand('c', 2), cand('b', 1), cand('a', 0)], snap({ views }))).toEqual(['a', 'd', 'b', 'c']);
  });
});

describe('every strategy returns a permutation of its input', () => {
  // Small deterministic PRNG (mulberry32) so that the generated cases are reproducible.
  const prng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const maybe = <T>(r: () => number, v: T): T | undefined => (r() < 0.3 ? undefined : v);
  const states = ['closed', 'open', 'half_open'] as const;
  const strategies: [string, Strategy][] = [
    ['cost', cost],
    ['latency', latency],
    ['health', health],
    ['weighted', weighted],
    ['headroom', headroom],
    ['priority', priority],
    ['score', score],
    ['slo', slo],
  ];

  it.each(strategies)('%s', (_name, strategy) => {
    for (let seed = 1; seed <= 50; seed++) {
      const r = prng(seed);
      const n = Math.floor(r() * 8); // 0..7 candidates, some sharing a provider
      const candidates = Array.from({ length: n }, (_, i) => cand(`p${Math.floor(r() * 5)}`, i, `m${i % 2}`)).sort(() => r() - 0.5);
      const views: Record<string, Partial<ProviderView>> = {};
      const prices: Record<string, Price> = {};
      for (let p = 0; p < 5; p++) {
        if (r() < 0.2) continue; // some providers have no view at all
        const successes = Math.floor(r() * 5);
        views[`p${p}`] = {
          state: states[Math.floor(r() * 3)]!,
          successes,
          failures: Math.floor(r() * 5),
          latencyP50Ms: maybe(r, Math.floor(r() * 4) * 100),
          ttftP50Ms: maybe(r, Math.floor(r() * 4) * 50),
          latencyP95Ms: maybe(r, Math.floor(r() * 4) * 200),
          ttftP95Ms: maybe(r, Math.floor(r() * 4) * 100),
          weight: Math.floor(r() * 4) - 1,
          requestHeadroom: maybe(r, r()),
          tokenHeadroom: maybe(r, r()),
          exhaustsInS: maybe(r, r() * 60),
        };
        for (const m of ['m0', 'm1']) if (r() < 0.7) prices[`p${p}/${m}`] = { input: Math.floor(r() * 3), output: Math.floor(r() * 3) };
      }
      const randoms = Array.from({ length: 20 }, () => r());
      const before = [...candidates];
      const out = strategy({
        candidates,
        request: req({ stream: r() < 0.5, maxTokens: maybe(r, 100) }),
        snapshot: snap({ views, prices, randoms }),
      });
      expect(out).toHaveLength(candidates.length);
      expect(new Set(out).size).toBe(out.length); // no candidate twice
      for (const c of out) expect(candidates).toContain(c); // same objects, none invented
      expect(candidates).toEqual(before); // input untouched
      expect(candidates.every((c, i) => c === before[i])).toBe(true);
    }
  });
});

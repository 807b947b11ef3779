import { describe, expect, it } from 'vitest';
import type { Candidate, Price, ProviderView, RoutingSnapshot } from '../../src/routing/strategy.js';
import slo from '../../strategies/slo.js';

const cand = (provider: string, chainIndex: number): Candidate => ({ provider, model: 'm', chainIndex });
const [cheap, mid, dear, fresh] = [cand('cheap', 0), cand('mid', 1), cand('dear', 2), cand('fresh', 3)] as [Candidate, Candidate, Candidate, Candidate];

const PRICES: Record<string, Price> = { cheap: { input: 0.1, output: 0.4 }, mid: { input: 1, output: 4 }, dear: { input: 5, output: 15 }, fresh: { input: 0.05, output: 0.2 } };

function snapshot(views: Record<string, Partial<ProviderView>>, random = 0.5): RoutingSnapshot {
  return {
    now: 0,
    providers: new Map(Object.entries(views).map(([name, v]) => [name, { state: 'closed', requests: 0, successes: 0, failures: 0, weight: 1, ...v } as ProviderView])),
    price: (provider) => PRICES[provider],
    random: () => random,
  };
}

const order = (views: Record<string, Partial<ProviderView>>, o: { sloMs?: number; stream?: boolean; random?: number; candidates?: Candidate[] } = {}) =>
  slo({
    candidates: o.candidates ?? [cheap, mid, dear],
    request: { model: 'm', stream: o.stream ?? false, estimatedPromptTokens: 100, ...(o.sloMs !== undefined ? { sloMs: o.sloMs } : {}) },
    snapshot: snapshot(views, o.random),
  }).map((c) => c.provider);

describe('slo strategy', () => {
  it('puts the cheapest candidate whose p95 meets slo_ms first, then the rest by latency', () => {
    const views = { cheap: { latencyP95Ms: 900 }, mid: { latencyP95Ms: 300 }, dear: { latencyP95Ms: 100 } };
    expect(order(views, { sloMs: 500 })).toEqual(['mid', 'dear', 'cheap']);
    expect(order(views, { sloMs: 1000 })).toEqual(['cheap', 'mid', 'dear']);
    // Nobody meets 50 ms: fastest first.
    expect(order(views, { sloMs: 50 })).toEqual(['dear', 'mid', 'cheap']);
  });

  it('moves when latency changes', () => {
    expect(order({ cheap: { latencyP95Ms: 200 }, mid: { latencyP95Ms: 200 }, dear: { latencyP95Ms: 200 } }, { sloMs: 500 })[0]).toBe('cheap');
    expect(order({ cheap: { latencyP95Ms: 800 }, mid: { latencyP95Ms: 200 }, dear: { latencyP95Ms: 200 } }, { sloMs: 500 })[0]).toBe('mid');
  });

  it('judges streams by time to first chunk, falling back to whole answers', () => {
    const views = { cheap: { latencyP95Ms: 2000, ttftP95Ms: 150 }, mid: { latencyP95Ms: 100 }, dear: { latencyP95Ms: 100, ttftP95Ms: 900 } };
    expect(order(views, { sloMs: 500, stream: true })).toEqual(['cheap', 'mid', 'dear']);
    expect(order(views, { sloMs: 500, stream: false })).toEqual(['mid', 'dear', 'cheap']);
  });

  it('explores an unmeasured candidate only at a bounded rate while a compliant one is known', () => {
    const views = { cheap: { latencyP95Ms: 900 }, mid: { latencyP95Ms: 300 }, dear: { latencyP95Ms: 100 } };
    const candidates = [cheap, mid, dear, fresh];
    expect(order(views, { sloMs: 500, candidates, random: 0.5 })).toEqual(['mid', 'dear', 'fresh', 'cheap']);
    expect(order(views, { sloMs: 500, candidates, random: 0.01 })).toEqual(['fresh', 'mid', 'dear', 'cheap']);
    // Nothing measured meets the objective: the unmeasured one is the best hope.
    expect(order(views, { sloMs: 50, candidates, random: 0.5 })).toEqual(['fresh', 'dear', 'mid', 'cheap']);
  });

  it('orders by cost alone before anything is measured, and without slo_ms', () => {
    expect(order({}, { sloMs: 500, candidates: [dear, mid, cheap] })).toEqual(['cheap', 'mid', 'dear']);
    expect(order({ cheap: { latencyP95Ms: 5000 }, mid: { latencyP95Ms: 10 }, dear: { latencyP95Ms: 10 } })).toEqual(['cheap', 'mid', 'dear']);
  });
});

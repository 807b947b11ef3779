import { describe, expect, it } from 'vitest';
import { capacityOf, secondsUntilExhausted, soonestExhaustion } from '../../src/routing/quota.js';
import { DEFAULT_SCORE_WEIGHTS, scoreStrategy } from '../../src/routing/score.js';
import type { Candidate, Lane, RoutingSnapshot } from '../../src/routing/strategy.js';
import { RateLimitTracker } from '../../src/telemetry/rate-limits.js';
import headroom from '../../strategies/headroom.js';
import score from '../../strategies/score.js';
import { cand, providersOf, snapshotOf } from '../support/snapshot.js';

describe('secondsUntilExhausted', () => {
  it('divides what is left by the net pace, when that is sooner than the reset', () => {
    expect(secondsUntilExhausted({ remaining: 8, spendPerS: 0.2, refillPerS: 0, resetsInS: 60 })).toBe(40);
    expect(secondsUntilExhausted({ remaining: 80, spendPerS: 0.2, refillPerS: 0, resetsInS: 60 })).toBeUndefined();
  });

  it('says 0 when nothing is left, and nothing when nothing is spent or the window gives back as much', () => {
    expect(secondsUntilExhausted({ remaining: 0, spendPerS: 0, refillPerS: 0, resetsInS: 5 })).toBe(0);
    expect(secondsUntilExhausted({ remaining: 3, spendPerS: 0, refillPerS: 0, resetsInS: 60 })).toBeUndefined();
    expect(secondsUntilExhausted({ remaining: 3, spendPerS: 1, refillPerS: 1 })).toBeUndefined();
  });

  it('looks 60 s ahead for a rolling minute', () => {
    expect(secondsUntilExhausted({ remaining: 50, spendPerS: 1, refillPerS: 0 })).toBe(50);
    expect(secondsUntilExhausted({ remaining: 70, spendPerS: 1, refillPerS: 0 })).toBeUndefined();
  });

  it('takes the soonest of several budgets', () => {
    expect(
      soonestExhaustion([
        { remaining: 10, spendPerS: 1, refillPerS: 0, resetsInS: 30 },
        { remaining: 4, spendPerS: 1, refillPerS: 0, resetsInS: 30 },
      ]),
    ).toBe(4);
    expect(soonestExhaustion([])).toBeUndefined();
  });
});

describe('capacityOf', () => {
  it('is the smaller known headroom, 1 when none is known', () => {
    const s = snapshotOf({ a: { requestHeadroom: 0.4, tokenHeadroom: 0.9 }, b: { tokenHeadroom: 0.3 }, c: {} });
    expect(capacityOf(s.providers.get('a'))).toBe(0.4);
    expect(capacityOf(s.providers.get('b'))).toBe(0.3);
    expect(capacityOf(s.providers.get('c'))).toBe(1);
    expect(capacityOf(undefined)).toBe(1);
  });
});

describe('RateLimitTracker.exhaustsInS', () => {
  const now = 1_000_000;
  const report = (remaining: number, limit = 10, reset = '60s') => ({
    'x-ratelimit-remaining-requests': String(remaining),
    'x-ratelimit-limit-requests': String(limit),
    'x-ratelimit-reset-requests': reset,
  });

  it('knows nothing without limits or reports', () => {
    const t = new RateLimitTracker();
    t.recordRequest(now);
    expect(t.exhaustsInS(now)).toBeUndefined();
  });

  it('extrapolates the last 10 s against the reported remaining, less what was sent since', () => {
    const t = new RateLimitTracker();
    t.recordRequest(now);
    t.recordHeaders(report(9), now);
    // 1 request in 10 s: 0.1/s; 9 left: 90 s, after the reset in 60 s.
    expect(t.exhaustsInS(now)).toBeUndefined();
    t.recordRequest(now);
    // 2 in 10 s: 0.2/s; 9 - 1 sent since = 8 left: 40 s.
    expect(t.exhaustsInS(now)).toBe(40);
    // Past the reset, the report no longer holds.
    expect(t.exhaustsInS(now + 61_000)).toBeUndefined();
  });

  it('a reset sooner than the exhaustion means no exhaustion', () => {
    const t = new RateLimitTracker();
    for (let i = 0; i < 5; i++) t.recordRequest(now);
    t.recordHeaders(report(5, 10, '2s'), now);
    // 0.5/s: 10 s to go, but the budget resets in 2 s.
    expect(t.exhaustsInS(now)).toBeUndefined();
  });

  it('against rpm_limit, what leaves the rolling minute comes back', () => {
    const t = new RateLimitTracker(20);
    for (let i = 0; i < 10; i++) t.recordRequest(now);
    // 1/s now, 10/60 coming back per second: net 5/6 per second, 10 left: 12 s.
    expect(t.exhaustsInS(now)).toBeCloseTo(12, 6);
    // Twenty seconds on, the pace of the last 10 s is 0: nothing runs out.
    expect(t.exhaustsInS(now + 20_000)).toBeUndefined();
  });

  it('tokens count as well (tpm_limit)', () => {
    const t = new RateLimitTracker(undefined, 1000);
    t.recordTokens(900, now);
    // 90 tokens/s, 15/s back: 100 left in 100/75 s.
    expect(t.exhaustsInS(now)).toBeCloseTo(100 / 75, 6);
  });
});

const three = [cand('a', 0), cand('b', 1), cand('c', 2)];
const order = (
  s: (i: { candidates: readonly Candidate[]; request: { model: string; stream: boolean; estimatedPromptTokens: number; lane?: Lane }; snapshot: RoutingSnapshot }) => Candidate[],
  snapshot: RoutingSnapshot,
  lane?: Lane,
  stream = false,
) => providersOf(s({ candidates: three, request: { model: 'm', stream, estimatedPromptTokens: 10, ...(lane ? { lane } : {}) }, snapshot }));

describe('headroom strategy with the prediction', () => {
  it('puts a provider that will run out before its reset last, however much it has left', () => {
    const snapshot = snapshotOf({ a: { requestHeadroom: 0.9, exhaustsInS: 20 }, b: { requestHeadroom: 0.5 }, c: { requestHeadroom: 0.7 } });
    expect(order(headroom, snapshot)).toEqual(['c', 'b', 'a']);
  });
});

describe('score strategy', () => {
  it('with nothing known, keeps chain order (equal scores)', () => {
    expect(order(score, snapshotOf({}))).toEqual(['a', 'b', 'c']);
  });

  it('normal lane: capacity 0.4, speed 0.3, share 0.3', () => {
    // a: 0.4*0.5 + 0.3*1 + 0.3*1 = 0.8; b: 0.4*1 + 0.3*0.5 + 0.3*1 = 0.85; c: 0.4*1 + 0.3*1 + 0.3*0.5 = 0.85 (chain breaks the tie)
    const snapshot = snapshotOf({ a: { requestHeadroom: 0.5, latencyP50Ms: 100 }, b: { latencyP50Ms: 200 }, c: { latencyP50Ms: 100, weight: 0.5 } });
    expect(order(score, snapshot)).toEqual(['b', 'c', 'a']);
  });

  it('high lane goes by speed, low lane by capacity', () => {
    const snapshot = snapshotOf({ a: { requestHeadroom: 0.3, latencyP50Ms: 100 }, b: { latencyP50Ms: 400 }, c: { requestHeadroom: 0.6, latencyP50Ms: 200 } });
    expect(order(score, snapshot, 'high')).toEqual(['a', 'c', 'b']);
    expect(order(score, snapshot, 'low')).toEqual(['b', 'c', 'a']);
  });

  it('a provider predicted to run out counts no capacity', () => {
    const snapshot = snapshotOf({ a: { exhaustsInS: 5 }, b: {}, c: {} });
    expect(order(score, snapshot)).toEqual(['b', 'c', 'a']);
  });

  it('streams are judged by time to first chunk', () => {
    const snapshot = snapshotOf({ a: { latencyP50Ms: 100, ttftP50Ms: 900 }, b: { latencyP50Ms: 900, ttftP50Ms: 100 }, c: { latencyP50Ms: 500 } });
    expect(order(score, snapshot, 'high', true)).toEqual(['b', 'c', 'a']);
    expect(order(score, snapshot, 'high', false)).toEqual(['a', 'c', 'b']);
  });

  it('takes other weights per lane', () => {
    const byWeight = scoreStrategy({ normal: { capacity: 0, latency: 0, weight: 1 } });
    const snapshot = snapshotOf({ a: { weight: 1 }, b: { weight: 3 }, c: { weight: 2 } });
    expect(order(byWeight, snapshot)).toEqual(['b', 'c', 'a']);
    expect(DEFAULT_SCORE_WEIGHTS.low.latency).toBe(0);
  });
});

import { describe, expect, it } from 'vitest';
import { type AttemptResult, runAttempts } from '../../src/routing/attempt-loop.js';
import { HEDGE_LOST } from '../../src/routing/attempt-race.js';
import type { Cancel } from '../../src/routing/cancel.js';
import { budgetAllows, effectiveHedge, type HedgeOutcome, hedgeDelayMs, type LoopHedge, parseHedgeHeader } from '../../src/routing/hedge.js';
import { HedgeBudgets } from '../../src/routing/hedge-budget.js';
import { A, B, C, fixture, hangs, ok, served, status } from '../support/loop-fixture.js';

describe('hedge decisions', () => {
  it('waits a fixed delay, or the measured p95, and not at all without a measurement', () => {
    expect(hedgeDelayMs(250, undefined)).toBe(250);
    expect(hedgeDelayMs(250, 900)).toBe(250);
    expect(hedgeDelayMs('p95', 840.4)).toBe(840);
    expect(hedgeDelayMs('p95', undefined)).toBeUndefined();
  });

  it('keeps hedges within max_extra_percent of requests, strictly', () => {
    expect(budgetAllows(9, 0, 10)).toBe(false);
    expect(budgetAllows(10, 0, 10)).toBe(true);
    expect(budgetAllows(20, 1, 10)).toBe(true);
    expect(budgetAllows(20, 2, 10)).toBe(false);
    expect(budgetAllows(1, 0, 100)).toBe(true);
    expect(budgetAllows(1, 1, 100)).toBe(false);
  });

  it('reads the header: off, p95, a delay; anything else is invalid', () => {
    expect(parseHedgeHeader('off')).toBe('off');
    expect(parseHedgeHeader(' P95 ')).toBe('p95');
    expect(parseHedgeHeader('150')).toBe(150);
    expect(parseHedgeHeader('0')).toBe('invalid');
    expect(parseHedgeHeader('-5')).toBe('invalid');
    expect(parseHedgeHeader('soon')).toBe('invalid');
  });

  it('lets the header override the route: off turns it off, a delay turns it on with the route’s budget', () => {
    const route = { after: 'p95' as const, maxExtraPercent: 25 };
    expect(effectiveHedge(route, undefined)).toEqual(route);
    expect(effectiveHedge(route, 'off')).toBeUndefined();
    expect(effectiveHedge(route, 80)).toEqual({ after: 80, maxExtraPercent: 25 });
    expect(effectiveHedge(undefined, 'p95')).toEqual({ after: 'p95', maxExtraPercent: 10 });
    expect(effectiveHedge(undefined, undefined)).toBeUndefined();
  });

  it('counts a sliding minute per route', () => {
    const b = new HedgeBudgets();
    for (let i = 0; i < 10; i++) b.countRequest('m', 1_000);
    expect(b.take('m', 10, 1_000)).toBe(true);
    expect(b.take('m', 10, 1_000)).toBe(false);
    expect(b.take('other', 10, 1_000)).toBe(false);
    expect(b.counts('m', 1_000)).toEqual({ requests: 10, hedges: 1 });
    // A minute later the window has moved past all of it.
    expect(b.counts('m', 62_000)).toEqual({ requests: 0, hedges: 0 });
  });
});

/** A hedge policy with a fixed delay and a budget of `budget` hedges; what it reports is kept. */
function hedging(delayMs: number, budget = Infinity) {
  const reports: HedgeOutcome[] = [];
  let left = budget;
  const hedge: LoopHedge = {
    delayMs: () => delayMs,
    take: () => left-- > 0,
    report: (o) => reports.push(o),
  };
  return { hedge, reports };
}

/** An attempt that answers once `gate` resolves. */
const answersWhen = (gate: Promise<void>, value: string) => async (): Promise<AttemptResult<string>> => {
  await gate;
  return ok(value);
};

describe('runAttempts: hedging', () => {
  it('starts the next candidate when the first is silent past the delay; the hedge wins and the first is closed', async () => {
    const { hedge, reports } = hedging(5);
    const f = fixture({ hedge });
    f.on('a', hangs);
    f.on('b', ok('from b'));
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(B);
    expect(r.value).toBe('from b');
    expect(f.calls).toEqual(['a', 'b']);
    expect(f.cancels[0]!.reason).toBe(HEDGE_LOST);
    // The loser's breaker is settled neutral at once; the winner's through finish.
    expect(f.settlements()).toEqual([['a', 'neutral']]);
    expect(r.attempts.map((a) => [a.provider, a.result])).toEqual([
      ['a', 'cancelled'],
      ['b', 'success'],
    ]);
    expect(reports).toEqual(['started', 'cancelled', 'won']);
    expect(f.reported).toEqual([]);
  });

  it('lets the first attempt win when it answers before the hedge, closing the hedge', async () => {
    const { hedge, reports } = hedging(5);
    const f = fixture({ hedge });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    f.on('a', answersWhen(gate, 'from a'));
    f.on('b', (cancel: Cancel) => {
      release();
      return hangs(cancel);
    });
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(A);
    expect(f.cancels[1]!.reason).toBe(HEDGE_LOST);
    expect(f.settlements()).toEqual([['b', 'neutral']]);
    expect(reports).toEqual(['started', 'cancelled']);
  });

  it('does not hedge when the budget is spent', async () => {
    const { hedge, reports } = hedging(1, 0);
    const f = fixture({ hedge });
    let release!: () => void;
    f.on(
      'a',
      answersWhen(
        new Promise<void>((resolve) => {
          release = resolve;
        }),
        'late a',
      ),
    );
    setTimeout(() => release(), 20);
    const r = served(await runAttempts(f.options));
    expect(r.value).toBe('late a');
    expect(f.calls).toEqual(['a']);
    expect(reports).toEqual([]);
  });

  it('goes on waiting for the first when the hedge fails, and fails over as usual when both fail', async () => {
    const { hedge } = hedging(1, 1);
    const f = fixture({ hedge });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    f.on('a', async () => {
      await gate;
      return status(503);
    });
    f.on('b', async () => {
      release();
      return status(500);
    });
    f.on('c', ok('from c'));
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(C);
    expect(f.calls).toEqual(['a', 'b', 'c']);
    expect(
      f
        .settlements()
        .map((x) => x.join(' '))
        .sort(),
    ).toEqual(['a failure', 'b failure']);
  });

  it('closes every attempt when the client goes away, settling them neutral', async () => {
    const { hedge } = hedging(1);
    const f = fixture({ hedge });
    f.on('a', hangs);
    f.on('b', (cancel: Cancel) => {
      setTimeout(() => f.signal.abort(), 1);
      return hangs(cancel);
    });
    const r = await runAttempts(f.options);
    expect(r.kind).toBe('aborted');
    expect(f.cancels.every((c) => c.aborted)).toBe(true);
    expect(f.settlements().map(([, o]) => o)).toEqual(['neutral', 'neutral']);
  });

  it('discards a loser that answered at the same time as the winner', async () => {
    const { hedge } = hedging(1);
    const discarded: string[] = [];
    const f = fixture({ hedge, discard: (v) => discarded.push(v) });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    f.on('a', answersWhen(gate, 'from a'));
    f.on('b', async () => {
      release();
      await gate;
      return ok('from b');
    });
    const r = served(await runAttempts(f.options));
    await new Promise((resolve) => setImmediate(resolve));
    expect([r.value, ...discarded].sort()).toEqual(['from a', 'from b']);
  });
});

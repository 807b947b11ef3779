/** A loop over scripted fake upstreams and real breakers, for the attempt loop's unit tests. */
import { vi } from 'vitest';
import type { AttemptOutcome, AttemptResult, LoopOptions, LoopResult } from '../../src/routing/attempt-loop.js';
import { Breakers } from '../../src/routing/breakers.js';
import { Cancel } from '../../src/routing/cancel.js';
import type { BreakerSettings } from '../../src/routing/circuit-breaker.js';
import type { UpstreamFailure } from '../../src/routing/classify.js';
import type { Candidate } from '../../src/routing/strategy.js';
import { MemoryStore } from '../../src/state/memory-store.js';

export const A: Candidate = { provider: 'a', model: 'model-a', chainIndex: 0 };
export const B: Candidate = { provider: 'b', model: 'model-b', chainIndex: 1 };
export const C: Candidate = { provider: 'c', model: 'model-c', chainIndex: 2 };
export const D: Candidate = { provider: 'd', model: 'model-d', chainIndex: 3 };

/** What the fake upstream does on one call: answer, throw, or run a function of the attempt's Cancel. */
export type Step = AttemptResult<string> | { throws: unknown } | ((cancel: Cancel) => Promise<AttemptResult<string>>);

export const ok = (value = 'ok'): AttemptResult<string> => ({ kind: 'success', value });
export const fail = (failure: UpstreamFailure, value?: string): AttemptResult<string> => (value === undefined ? { kind: 'failure', failure } : { kind: 'failure', failure, value });
export const status = (s: number, extra: { retryAfterMs?: number; message?: string; code?: string } = {}, value?: string) => fail({ kind: 'status', status: s, ...extra }, value);

/**
 * Never answers; rejects (as fetch does) once its Cancel fires, a few ms late so that the clock has
 * surely moved past a deadline that fired it.
 */
export const hangs = (cancel: Cancel): Promise<AttemptResult<string>> =>
  new Promise((_, reject) => {
    const rejectSoon = () => setTimeout(() => reject(new Error('aborted')), 5);
    if (cancel.aborted) rejectSoon();
    else cancel.onAbort(rejectSoon);
  });

/**
 * A loop over fake upstreams and real breakers in a MemoryStore with a hand-moved clock. `on` scripts
 * a provider's answers, one per call; calls, Cancels, breaker settlements and onAttempt reports are kept.
 */
export function fixture(overrides: Partial<LoopOptions<string>> = {}, settings: BreakerSettings = { failureThreshold: 3, cooldownMs: 1000 }) {
  let now = 1_000_000;
  const store = new MemoryStore();
  const breakers = new Breakers(store, settings, () => now);
  const settle = vi.spyOn(breakers, 'settle');
  const signal = new Cancel();
  const script = new Map<string, Step[]>();
  const calls: string[] = [];
  const cancels: Cancel[] = [];
  const reported: Array<{ provider: string; outcome: AttemptOutcome; failedOver: boolean }> = [];
  const options: LoopOptions<string> = {
    candidates: [A, B, C],
    breakers,
    deadline: Date.now() + 60_000,
    maxAttempts: 10,
    maxRetryAfterMs: 50,
    signal,
    timeoutMs: () => 10_000,
    attempt: async (c, cancel) => {
      calls.push(c.provider);
      cancels.push(cancel);
      const step = script.get(c.provider)?.shift();
      if (step === undefined) throw new Error(`unscripted call to ${c.provider}`);
      if (typeof step === 'function') return step(cancel);
      if ('throws' in step) throw step.throws;
      return step;
    },
    onAttempt: (c, outcome, _ms, failedOver) => reported.push({ provider: c.provider, outcome, failedOver }),
    ...overrides,
  };
  return {
    options,
    breakers,
    store,
    signal,
    calls,
    cancels,
    reported,
    on(provider: string, ...steps: Step[]) {
      script.set(provider, [...(script.get(provider) ?? []), ...steps]);
    },
    /** [provider, outcome] of every breaker settlement, in order. */
    settlements: () => settle.mock.calls.map(([p, , outcome]) => [p, outcome]),
    advance(ms: number) {
      now += ms;
    },
    /** Opens `provider`'s breaker (threshold 1 assumed) at the current time. */
    open(provider: string) {
      breakers.settle(provider, breakers.admit(provider), 'failure');
      settle.mockClear();
    },
  };
}

export function served(r: LoopResult<string>) {
  if (r.kind !== 'served') throw new Error(`expected served, got ${r.kind}`);
  return r;
}

export function exhausted(r: LoopResult<string>) {
  if (r.kind !== 'exhausted') throw new Error(`expected exhausted, got ${r.kind}`);
  return r;
}

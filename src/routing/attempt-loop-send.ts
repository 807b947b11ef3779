import type { AttemptResult, LoopOptions } from './attempt-loop.js';
import type { Cancel } from './cancel.js';
import { failureFromError, type UpstreamFailure } from './classify.js';
import type { Candidate } from './strategy.js';

/** The abort reason of an attempt's own timer, told apart from the client's. */
const TIMEOUT = Symbol('attempt timeout');

/** What one upstream attempt came to. */
export interface Sent<T> {
  result: AttemptResult<T>;
  latencyMs: number;
  /**
   * Stops the client's abort from reaching the attempt. Called at once unless the attempt is served:
   * a served stream still needs cancelling if the client goes while it runs, so `finish` calls it.
   */
  unhookClientAbort(): void;
}

/**
 * Starts one attempt under its own `cancel` (a hedge's loser is closed through it), aborted by a timer
 * after `budgetMs` or when the client goes away; `onDone` gets what it came to, once, and never before
 * this returns. A throw becomes a failure: a timeout when the timer fired, else the network error it
 * maps to. (A callback rather than a promise to chain on: a promise and a microtask fewer per attempt.)
 *
 * @example
 * const cancel = new Cancel();
 * startAttempt(options, candidate, 10_000, cancel, (sent) => race.arrive(runner, sent));
 */
export function startAttempt<T>(o: LoopOptions<T>, c: Candidate, budgetMs: number, cancel: Cancel, onDone: (sent: Sent<T>) => void): void {
  const onClientAbort = () => cancel.abort(o.signal.reason);
  o.signal.onAbort(onClientAbort);
  const timer = setTimeout(() => cancel.abort(TIMEOUT), budgetMs);
  const started = performance.now();
  const settle = (result: AttemptResult<T>): void => {
    clearTimeout(timer);
    onDone({ result, latencyMs: performance.now() - started, unhookClientAbort: () => o.signal.offAbort(onClientAbort) });
  };
  void (async () => {
    let result: AttemptResult<T>;
    try {
      result = await o.attempt(c, cancel);
    } catch (err) {
      const failure: UpstreamFailure = cancel.reason === TIMEOUT ? { kind: 'timeout', detail: `no answer within ${budgetMs} ms` } : failureFromError(err);
      result = { kind: 'failure', failure };
    }
    settle(result);
  })();
}

/** Waits `ms`, or less when the client goes away first. */
export function sleep(ms: number, signal: Cancel): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.offAbort(done);
      resolve();
    }
    signal.onAbort(done);
  });
}

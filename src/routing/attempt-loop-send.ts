import type { AttemptResult, LoopOptions } from './attempt-loop.js';
import { Cancel } from './cancel.js';
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

/** An attempt under way: its own Cancel (a hedge's loser is cancelled through it) and what it comes to. */
export interface Started<T> {
  cancel: Cancel;
  done: Promise<Sent<T>>;
}

/**
 * Starts one attempt under its own Cancel, aborted by a timer after `budgetMs` or when the client goes
 * away. A throw becomes a failure: a timeout when the timer fired, else the network error it maps to.
 *
 * @example
 * const { cancel, done } = startAttempt(options, candidate, 10_000);
 * const sent = await done; // or cancel.abort(reason) to close it
 */
export function startAttempt<T>(o: LoopOptions<T>, c: Candidate, budgetMs: number): Started<T> {
  const cancel = new Cancel();
  const onClientAbort = () => cancel.abort(o.signal.reason);
  o.signal.onAbort(onClientAbort);
  const timer = setTimeout(() => cancel.abort(TIMEOUT), budgetMs);
  const started = performance.now();
  const settle = (result: AttemptResult<T>): Sent<T> => {
    clearTimeout(timer);
    return { result, latencyMs: performance.now() - started, unhookClientAbort: () => o.signal.offAbort(onClientAbort) };
  };
  const done = (async () => {
    try {
      return settle(await o.attempt(c, cancel));
    } catch (err) {
      const failure: UpstreamFailure = cancel.reason === TIMEOUT ? { kind: 'timeout', detail: `no answer within ${budgetMs} ms` } : failureFromError(err);
      return settle({ kind: 'failure', failure });
    }
  })();
  return { cancel, done };
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

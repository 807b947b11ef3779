import type { AttemptRecord, LoopResult } from './attempt-loop.js';
import { isContextOverflow, type UpstreamFailure } from './classify.js';

/** What one request's attempts add up to so far, across both passes of the loop. */
export interface Tally {
  /** Upstream attempts made; skipped candidates do not count. */
  made: number;
  /** Failed-over attempts, and how many of them timed out or were rate limited (429). */
  failures: number;
  timeouts: number;
  rateLimited: number;
  /** The shortest wait an upstream's Retry-After or an open breaker named: the client's Retry-After if all fail. */
  shortestRetryAfterMs: number | undefined;
  /** Time spent in upstream attempts and Retry-After waits, all attempts together. */
  upstreamMs: number;
  /** After a context-length error: later candidates need a known context window larger than this. */
  outgrownWindow: number;
}

export function newTally(): Tally {
  return { made: 0, failures: 0, timeouts: 0, rateLimited: 0, shortestRetryAfterMs: undefined, upstreamMs: 0, outgrownWindow: 0 };
}

export function noteRetryAfter(t: Tally, ms: number): void {
  t.shortestRetryAfterMs = Math.min(t.shortestRetryAfterMs ?? ms, ms);
}

/** Counts one failed-over attempt; `window` is the failed candidate's known context window. */
export function countFailure(t: Tally, f: UpstreamFailure, window: number | undefined): void {
  t.failures += 1;
  if (isContextOverflow(f)) t.outgrownWindow = Math.max(t.outgrownWindow, window ?? 0);
  if (f.kind === 'timeout') t.timeouts += 1;
  // A 429 to the caller's own key is a rate limit too: all of them together are the caller's 429, not a 502.
  if ((f.kind === 'status' || f.kind === 'caller_key') && f.status === 429) t.rateLimited += 1;
  if ((f.kind === 'status' || f.kind === 'caller_key') && f.retryAfterMs !== undefined) noteRetryAfter(t, f.retryAfterMs);
}

/** No candidate gave an answer: what the client's error can say about why, and when to come back. */
export function exhaustedResult<T>(t: Tally, attempts: AttemptRecord[]): LoopResult<T> {
  return {
    kind: 'exhausted',
    attempts,
    ...(t.shortestRetryAfterMs !== undefined ? { retryAfterMs: t.shortestRetryAfterMs } : {}),
    allTimedOut: t.failures > 0 && t.timeouts === t.failures,
    allRateLimited: t.failures > 0 && t.rateLimited === t.failures,
  };
}

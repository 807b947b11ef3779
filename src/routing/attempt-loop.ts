import type { Breakers } from './breakers.js';
import type { BreakerOutcome } from './circuit-breaker.js';
import { classifyFailure, describeFailure, failureFromError, isContextOverflow, type UpstreamFailure } from './classify.js';
import { Cancel } from './cancel.js';
import type { Candidate } from './strategy.js';

export type AttemptResult<T> =
  | { kind: 'success'; value: T }
  /** `value`: the upstream's answer, handed to the client when the failure is not failed over. */
  | { kind: 'failure'; failure: UpstreamFailure; value?: T };

export interface AttemptRecord {
  provider: string;
  model: string;
  result: 'success' | 'failure' | 'rejected' | 'skipped';
  detail?: string;
}

export type AttemptOutcome = 'success' | 'failure' | 'rejected';

/** Settles the served attempt once its response is complete (streams: when the stream ends). */
export type Finish = (outcome: BreakerOutcome) => void;

export type LoopResult<T> =
  /** `upstreamMs`: time spent in upstream attempts and Retry-After waits, all attempts together. */
  | { kind: 'served'; candidate: Candidate; value: T; attempts: AttemptRecord[]; latencyMs: number; upstreamMs: number; finish: Finish }
  | { kind: 'rejected'; candidate: Candidate; value: T; failure: UpstreamFailure; attempts: AttemptRecord[] }
  | { kind: 'exhausted'; attempts: AttemptRecord[]; retryAfterMs?: number; allTimedOut: boolean; allRateLimited: boolean }
  | { kind: 'aborted'; attempts: AttemptRecord[] };

export interface LoopOptions<T> {
  candidates: readonly Candidate[];
  breakers: Breakers;
  /** Absolute deadline (ms since epoch) for the whole loop. */
  deadline: number;
  maxAttempts: number;
  /** A Retry-After up to this long is waited for, and the provider tried once more. */
  maxRetryAfterMs: number;
  /** Aborted when the client goes away. */
  signal: Cancel;
  timeoutMs(c: Candidate): number;
  /** One upstream attempt; it must resolve once the outcome is known (a stream: at its first chunk). */
  attempt(c: Candidate, cancel: Cancel): Promise<AttemptResult<T>>;
  /** Whether to try the same candidate again at once (with another of its keys) after this failure. */
  retrySameProvider?(c: Candidate, f: UpstreamFailure): boolean;
  /** A candidate's known context window, to skip the ones a context-length error rules out. */
  contextWindow?(c: Candidate): number | undefined;
  /** Telemetry for every settled attempt. */
  onAttempt(c: Candidate, outcome: AttemptOutcome, latencyMs: number, failedOver: boolean): void;
}

const TIMEOUT = Symbol('attempt timeout');

/**
 * Tries candidates in order: breaker gate, attempt, classify, record, next or done. After one pass,
 * providers that answered 429/503 with a short Retry-After get one more try once it has passed.
 */
export async function runAttempts<T>(o: LoopOptions<T>): Promise<LoopResult<T>> {
  const attempts: AttemptRecord[] = [];
  let made = 0;
  let shortestRetryAfter: number | undefined;
  let failures = 0;
  let timeouts = 0;
  let rateLimited = 0;
  let queue = [...o.candidates];
  let upstreamMs = 0;
  /** After a context-length error: later candidates need a larger known window than this. */
  let outgrown = 0;

  for (let pass = 0; pass < 2 && queue.length > 0; pass++) {
    const retryLater: Array<{ c: Candidate; afterMs: number }> = [];
    for (let i = 0; i < queue.length; i++) {
      const c = queue[i]!;
      if (o.signal.aborted) return { kind: 'aborted', attempts };
      const remaining = o.deadline - Date.now();
      if (made >= o.maxAttempts || remaining <= 0) {
        attempts.push({ provider: c.provider, model: c.model, result: 'skipped', detail: made >= o.maxAttempts ? 'attempt limit reached' : 'request deadline passed' });
        continue;
      }
      const window = o.contextWindow?.(c);
      if (window !== undefined && window <= outgrown) {
        attempts.push({ provider: c.provider, model: c.model, result: 'skipped', detail: `context window of ${window} tokens is too small` });
        continue;
      }
      const admission = o.breakers.admit(c.provider);
      if (!admission.allowed) {
        attempts.push({ provider: c.provider, model: c.model, result: 'skipped', detail: 'circuit open' });
        const wait = o.breakers.msUntilProbe(c.provider);
        if (wait > 0) shortestRetryAfter = Math.min(shortestRetryAfter ?? wait, wait);
        continue;
      }
      made += 1;

      const ctl = new Cancel();
      const onClientAbort = () => ctl.abort(o.signal.reason);
      o.signal.once('abort', onClientAbort);
      const budget = Math.min(o.timeoutMs(c), remaining);
      const timer = setTimeout(() => ctl.abort(TIMEOUT), budget);
      const started = performance.now();
      let result: AttemptResult<T>;
      try {
        result = await o.attempt(c, ctl);
      } catch (err) {
        result = {
          kind: 'failure',
          failure: ctl.reason === TIMEOUT ? { kind: 'timeout', detail: `no answer within ${budget} ms` } : failureFromError(err),
        };
      } finally {
        clearTimeout(timer);
      }
      const latencyMs = performance.now() - started;
      upstreamMs += latencyMs;

      if (o.signal.aborted) {
        o.signal.off('abort', onClientAbort);
        o.breakers.settle(c.provider, admission, 'neutral');
        return { kind: 'aborted', attempts };
      }
      if (result.kind === 'success') {
        attempts.push({ provider: c.provider, model: c.model, result: 'success' });
        let settled = false;
        const finish: Finish = (outcome) => {
          if (settled) return;
          settled = true;
          o.signal.off('abort', onClientAbort);
          o.breakers.settle(c.provider, admission, outcome);
          o.onAttempt(c, outcome === 'failure' ? 'failure' : 'success', latencyMs, false);
        };
        return { kind: 'served', candidate: c, value: result.value, attempts, latencyMs, upstreamMs, finish };
      }
      o.signal.off('abort', onClientAbort);

      const verdict = classifyFailure(result.failure);
      // A refused or rate-limited key is the key's problem while the provider has another one to try.
      const retrySame = verdict.failover && (o.retrySameProvider?.(c, result.failure) ?? false);
      o.breakers.settle(c.provider, admission, retrySame ? 'neutral' : verdict.breaker);
      if (retrySame) queue.splice(i + 1, 0, c);
      if (!verdict.failover && result.value !== undefined) {
        o.onAttempt(c, 'rejected', latencyMs, false);
        attempts.push({ provider: c.provider, model: c.model, result: 'rejected', detail: describeFailure(result.failure) });
        return { kind: 'rejected', candidate: c, value: result.value, failure: result.failure, attempts };
      }
      o.onAttempt(c, 'failure', latencyMs, true);
      attempts.push({ provider: c.provider, model: c.model, result: 'failure', detail: describeFailure(result.failure) });
      failures += 1;
      const f = result.failure;
      if (isContextOverflow(f)) outgrown = Math.max(outgrown, window ?? 0);
      if (f.kind === 'timeout') timeouts += 1;
      if (f.kind === 'status' && f.status === 429) rateLimited += 1;
      if (f.kind === 'status' && f.retryAfterMs !== undefined) {
        shortestRetryAfter = Math.min(shortestRetryAfter ?? f.retryAfterMs, f.retryAfterMs);
        if (pass === 0 && f.retryAfterMs <= o.maxRetryAfterMs) retryLater.push({ c, afterMs: f.retryAfterMs });
      }
    }
    if (retryLater.length === 0) break;
    const wait = Math.min(...retryLater.map((r) => r.afterMs));
    if (Date.now() + wait >= o.deadline || made >= o.maxAttempts) break;
    const slept = performance.now();
    await sleep(wait, o.signal);
    upstreamMs += performance.now() - slept;
    queue = retryLater.map((r) => r.c);
  }
  return {
    kind: 'exhausted',
    attempts,
    ...(shortestRetryAfter !== undefined ? { retryAfterMs: shortestRetryAfter } : {}),
    allTimedOut: failures > 0 && timeouts === failures,
    allRateLimited: failures > 0 && rateLimited === failures,
  };
}

function sleep(ms: number, signal: Cancel): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.off('abort', done);
      resolve();
    }
    signal.once('abort', done);
  });
}

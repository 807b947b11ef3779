import type { Sent } from './attempt-loop-send.js';
import { sleep } from './attempt-loop-send.js';
import { countFailure, exhaustedResult, newTally, noteRetryAfter, type Tally } from './attempt-loop-tally.js';
import { AttemptRace } from './attempt-race.js';
import type { Breakers } from './breakers.js';
import type { Cancel } from './cancel.js';
import type { Admission, BreakerOutcome } from './circuit-breaker.js';
import { classifyFailure, describeFailure, type UpstreamFailure } from './classify.js';
import type { LoopHedge } from './hedge.js';
import type { Candidate } from './strategy.js';

export type AttemptResult<T> =
  | { kind: 'success'; value: T }
  /** `value`: the upstream's answer, handed to the client when the failure is not failed over. */
  | { kind: 'failure'; failure: UpstreamFailure; value?: T };

export interface AttemptRecord {
  provider: string;
  model: string;
  /** `cancelled`: an attempt closed because another (a hedge, or the one it hedged) answered first. */
  result: 'success' | 'failure' | 'rejected' | 'skipped' | 'cancelled';
  detail?: string;
}

export type AttemptOutcome = 'success' | 'failure' | 'rejected';

/** Settles the served attempt once its response is complete (streams: when the stream ends). */
export type Finish = (outcome: BreakerOutcome) => void;

export type LoopResult<T> =
  /** `upstreamMs`: time spent in upstream attempts and Retry-After waits, all attempts together. */
  /** `detachClient`: the client going away no longer cancels the served attempt (a stream read on to be stored). */
  | { kind: 'served'; candidate: Candidate; value: T; attempts: AttemptRecord[]; latencyMs: number; upstreamMs: number; finish: Finish; detachClient(): void }
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
  /** Hedging: the next candidate started beside one that has not answered within a delay (absent: never). */
  hedge?: LoopHedge;
  /** Releases an answer nobody will take (a hedge's loser that answered too late: close its stream). */
  discard?(value: T): void;
  /**
   * Telemetry for every settled attempt (a hedge's cancelled loser is not one). Called as a plain
   * function, not a method: a served stream's `finish` keeps it for the stream's life, and keeps no
   * more of the options than it and `breakers` (the options hold the caller's whole request).
   */
  readonly onAttempt: (c: Candidate, outcome: AttemptOutcome, latencyMs: number, failedOver: boolean) => void;
}

/**
 * Tries candidates in order until one answers: breaker gate, attempt, classify, record, next or done.
 * After that pass, providers that answered (429/503) with a Retry-After of at most `maxRetryAfterMs`
 * get one more try once it has passed. Every admitted attempt settles its breaker exactly once: at
 * once when it failed, was rejected or the client left; through `finish` when it is served.
 *
 * @example
 * const result = await runAttempts({
 *   candidates, breakers, signal: clientGone,
 *   deadline: Date.now() + 30_000, maxAttempts: 4, maxRetryAfterMs: 2_000,
 *   timeoutMs: () => 10_000,
 *   attempt: (c, cancel) => callUpstream(c, cancel),
 *   onAttempt: (c, outcome, ms, failedOver) => metrics.record(c.provider, outcome, ms, failedOver),
 * });
 * if (result.kind === 'served') {
 *   await relay(result.value);
 *   result.finish('success');
 * }
 */
export async function runAttempts<T>(o: LoopOptions<T>): Promise<LoopResult<T>> {
  const run: Run = { attempts: [], tally: newTally() };
  const firstPass = await runPass(o, run, [...o.candidates]);
  if (firstPass.kind === 'ended') return firstPass.result;
  const again = await waitForRetryAfter(o, run.tally, firstPass.retryLater);
  if (again.length > 0) {
    // Its own short Retry-After failures are not waited for again: one more try is all they get.
    const secondPass = await runPass(o, run, again);
    if (secondPass.kind === 'ended') return secondPass.result;
  }
  return exhaustedResult(run.tally, run.attempts);
}

/** One request's loop so far: the record the client's answer carries, and the tally. */
interface Run {
  attempts: AttemptRecord[];
  tally: Tally;
}

type Admitted = Extract<Admission, { allowed: true }>;

/** A candidate let through the gate: its breaker admission, its time budget, its known context window. */
interface Cleared {
  kind: 'cleared';
  admission: Admitted;
  budgetMs: number;
  window: number | undefined;
}

/** The loop has its result. */
type Ended<T> = { kind: 'ended'; result: LoopResult<T> };

/** How trying one candidate went. */
type Step<T> = Ended<T> | { kind: 'failed'; retrySame: boolean; retryAfterMs: number | undefined };

/** A provider to try once more after the first pass, and how long it asked to be left alone. */
type RetryLater = { c: Candidate; afterMs: number };

function ended<T>(result: LoopResult<T>): Ended<T> {
  return { kind: 'ended', result };
}

function record(c: Candidate, result: AttemptRecord['result'], detail?: string): AttemptRecord {
  const r: AttemptRecord = { provider: c.provider, model: c.model, result };
  if (detail !== undefined) r.detail = detail;
  return r;
}

/**
 * Tries `queue` in order, collecting failures with a short enough Retry-After for one more try.
 * `queue` grows while it is walked when a provider is to be retried at once. With hedging, the next
 * candidate is started beside an attempt that has not come to anything within its hedge delay; the
 * first to answer wins and the other is closed at once (settled neutral: losing says nothing of health).
 */
async function runPass<T>(o: LoopOptions<T>, run: Run, queue: Candidate[]): Promise<Ended<T> | { kind: 'passed'; retryLater: RetryLater[] }> {
  const retryLater: RetryLater[] = [];
  const race = new AttemptRace<T, Cleared>(o);
  let i = 0;
  /** Starts the next candidate its gate lets through; false when none is left. */
  const startNext = (hedge: boolean): boolean => {
    while (i < queue.length) {
      const c = queue[i++]!;
      const gate = passGate(o, run.tally, c);
      if (gate.kind === 'skip') {
        run.attempts.push(record(c, 'skipped', gate.detail));
        continue;
      }
      run.tally.made += 1;
      race.start(c, gate.budgetMs, gate, hedge, performance.now());
      return true;
    }
    return false;
  };
  for (;;) {
    if (o.signal.aborted) return abortRace(o, run, race);
    if (race.size === 0 && !startNext(false)) return { kind: 'passed', retryLater };
    const ev = await race.next(hedgeWait(o, race, performance.now()));
    if (ev.kind === 'timer') {
      const runner = race.runners[0];
      if (!runner) continue; // it came back as the timer fired
      runner.hedgeDecided = true;
      if (i < queue.length && o.hedge?.take() && startNext(true)) o.hedge.report('started');
      continue;
    }
    const { runner, sent } = ev;
    const { c, meta: gate } = runner;
    run.tally.upstreamMs += sent.latencyMs;
    if (o.signal.aborted) {
      // Nobody is waiting for this answer, and a client leaving says nothing of the provider's health.
      sent.unhookClientAbort();
      if (sent.result.kind === 'success') o.discard?.(sent.result.value);
      o.breakers.settle(c.provider, gate.admission, 'neutral');
      return abortRace(o, run, race);
    }
    if (sent.result.kind === 'success') {
      closeLosers(o, run, race);
      if (runner.hedge) o.hedge?.report('won');
      return ended(serve(o, run, c, gate.admission, sent, sent.result.value));
    }
    sent.unhookClientAbort();
    const step = afterFailure(o, run, c, gate, sent.result, sent.latencyMs);
    if (step.kind === 'ended') {
      closeLosers(o, run, race);
      return step;
    }
    if (step.retrySame) queue.splice(i, 0, c);
    const after = step.retryAfterMs;
    if (after !== undefined && after <= o.maxRetryAfterMs) retryLater.push({ c, afterMs: after });
  }
}

/**
 * How long to wait before looking at hedging: until the hedge delay of the one attempt out has
 * passed; undefined (just wait) when there is no hedging, two are out, or it was decided already.
 */
function hedgeWait<T>(o: LoopOptions<T>, race: AttemptRace<T, Cleared>, now: number): number | undefined {
  if (!o.hedge || race.size !== 1) return undefined;
  const runners = race.runners;
  if (runners.length !== 1 || runners[0]!.hedgeDecided) return undefined;
  const delay = o.hedge.delayMs(runners[0]!.c);
  if (delay === undefined) {
    runners[0]!.hedgeDecided = true;
    return undefined;
  }
  return Math.max(0, runners[0]!.startedAt + delay - now);
}

/** Closes the attempts that lost the race: their connections closed, their breakers settled neutral. */
function closeLosers<T>(o: LoopOptions<T>, run: Run, race: AttemptRace<T, Cleared>): void {
  race.cancelAll((r) => {
    o.breakers.settle(r.c.provider, r.meta.admission, 'neutral');
    run.attempts.push(record(r.c, 'cancelled', 'another attempt answered first'));
    o.hedge?.report('cancelled');
  });
}

/** The client went away: every attempt still out is closed and settled neutral. */
function abortRace<T>(o: LoopOptions<T>, run: Run, race: AttemptRace<T, Cleared>): Ended<T> {
  race.cancelAll((r) => o.breakers.settle(r.c.provider, r.meta.admission, 'neutral'));
  return ended({ kind: 'aborted', attempts: run.attempts });
}

/**
 * Whether `c` may be tried now: attempts and time are left, a context-length error has not ruled its
 * window out, and its breaker admits the request. An open breaker's wait for its probe is noted for
 * the client's Retry-After.
 */
function passGate<T>(o: LoopOptions<T>, t: Tally, c: Candidate): Cleared | { kind: 'skip'; detail: string } {
  const remaining = o.deadline - Date.now();
  if (t.made >= o.maxAttempts) return { kind: 'skip', detail: 'attempt limit reached' };
  if (remaining <= 0) return { kind: 'skip', detail: 'request deadline passed' };
  const window = o.contextWindow?.(c);
  if (window !== undefined && window <= t.outgrownWindow) return { kind: 'skip', detail: `context window of ${window} tokens is too small` };
  const admission = o.breakers.admit(c.provider);
  if (!admission.allowed) {
    const wait = o.breakers.msUntilProbe(c.provider);
    if (wait > 0) noteRetryAfter(t, wait);
    return { kind: 'skip', detail: 'circuit open' };
  }
  return { kind: 'cleared', admission, budgetMs: Math.min(o.timeoutMs(c), remaining), window };
}

/** The answer goes to the client; `finish` settles the breaker and reports the attempt, once, when it is complete. */
function serve<T>(o: LoopOptions<T>, run: Run, c: Candidate, admission: Admitted, sent: Sent<T>, value: T): LoopResult<T> {
  run.attempts.push(record(c, 'success'));
  const { latencyMs } = sent;
  return {
    kind: 'served',
    candidate: c,
    value,
    attempts: run.attempts,
    latencyMs,
    upstreamMs: run.tally.upstreamMs,
    finish: settleOnce(o.breakers, o.onAttempt, c, admission, sent),
    detachClient: sent.unhookClientAbort,
  };
}

/**
 * A served attempt's `finish`, made where it sees only what it needs: a stream keeps it for its life,
 * and a closure keeps its whole scope (the loop's options would keep the caller's request with it).
 */
function settleOnce<T>(breakers: Breakers, onAttempt: LoopOptions<T>['onAttempt'], c: Candidate, admission: Admitted, sent: Sent<T>): Finish {
  let settled = false;
  return (outcome) => {
    if (settled) return;
    settled = true;
    sent.unhookClientAbort();
    breakers.settle(c.provider, admission, outcome);
    onAttempt(c, outcome === 'failure' ? 'failure' : 'success', sent.latencyMs, false);
  };
}

/**
 * Settles a failed attempt's breaker and records it. A failure the table does not fail over ends the
 * loop with the upstream's answer when there is one; any other failure is counted and the loop goes on.
 */
function afterFailure<T>(o: LoopOptions<T>, run: Run, c: Candidate, cleared: Cleared, result: { failure: UpstreamFailure; value?: T }, latencyMs: number): Step<T> {
  const f = result.failure;
  const verdict = classifyFailure(f);
  // A refused or rate-limited key is the key's problem while the provider has another one to try.
  const retrySame = verdict.failover && (o.retrySameProvider?.(c, f) ?? false);
  o.breakers.settle(c.provider, cleared.admission, retrySame ? 'neutral' : verdict.breaker);
  if (!verdict.failover && result.value !== undefined) {
    o.onAttempt(c, 'rejected', latencyMs, false);
    run.attempts.push(record(c, 'rejected', describeFailure(f)));
    return ended({ kind: 'rejected', candidate: c, value: result.value, failure: f, attempts: run.attempts });
  }
  o.onAttempt(c, 'failure', latencyMs, true);
  run.attempts.push(record(c, 'failure', describeFailure(f)));
  countFailure(run.tally, f, cleared.window);
  return { kind: 'failed', retrySame, retryAfterMs: f.kind === 'status' ? f.retryAfterMs : undefined };
}

/**
 * Between the passes: waits for the shortest collected Retry-After and returns the providers to try
 * once more; none when nothing was collected, the wait would pass the deadline or no attempts are left.
 */
async function waitForRetryAfter<T>(o: LoopOptions<T>, t: Tally, retryLater: readonly RetryLater[]): Promise<Candidate[]> {
  if (retryLater.length === 0) return [];
  const wait = Math.min(...retryLater.map((r) => r.afterMs));
  if (Date.now() + wait >= o.deadline || t.made >= o.maxAttempts) return [];
  const slept = performance.now();
  await sleep(wait, o.signal);
  t.upstreamMs += performance.now() - slept;
  return retryLater.map((r) => r.c);
}

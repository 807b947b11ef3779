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
  new AttemptRun(o, cancel, budgetMs, onDone).run(c);
}

const abortOnTimeout = (cancel: Cancel): void => cancel.abort(TIMEOUT);

/**
 * One attempt's own state. A served stream keeps its attempt's client-abort hook until the stream
 * ends, and with it this object: so once the attempt has come to something, it lets go of its timer,
 * of `onDone` and of the loop's options (which hold the caller's whole request: a long prompt held
 * for as long as its answer streams), and holds only what the hook needs: the client's signal and the
 * attempt's cancel.
 */
class AttemptRun<T> {
  private timer: NodeJS.Timeout | undefined;
  private onDone: ((sent: Sent<T>) => void) | undefined;
  private o: LoopOptions<T> | undefined;
  private readonly signal: Cancel;
  private readonly started = performance.now();

  constructor(
    o: LoopOptions<T>,
    private readonly cancel: Cancel,
    private readonly budgetMs: number,
    onDone: (sent: Sent<T>) => void,
  ) {
    this.o = o;
    this.signal = o.signal;
    this.onDone = onDone;
  }

  /** The client went away: the attempt is aborted with the client's reason. */
  private readonly onClientAbort = (): void => this.cancel.abort(this.signal.reason);

  /** Stops the client's abort from reaching the attempt (the `Sent`'s `unhookClientAbort`). */
  private readonly unhook = (): void => this.signal.offAbort(this.onClientAbort);

  run(c: Candidate): void {
    this.signal.onAbort(this.onClientAbort);
    this.timer = setTimeout(abortOnTimeout, this.budgetMs, this.cancel);
    void this.attempt(c);
  }

  private async attempt(c: Candidate): Promise<void> {
    const o = this.o!;
    let result: AttemptResult<T>;
    try {
      result = await o.attempt(c, this.cancel);
    } catch (err) {
      const failure: UpstreamFailure = this.cancel.reason === TIMEOUT ? { kind: 'timeout', detail: `no answer within ${this.budgetMs} ms` } : failureFromError(err);
      result = { kind: 'failure', failure };
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.o = undefined;
    const onDone = this.onDone!;
    this.onDone = undefined;
    onDone({ result, latencyMs: performance.now() - this.started, unhookClientAbort: this.unhook });
  }
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

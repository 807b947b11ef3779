import type { LoopOptions } from './attempt-loop.js';
import { type Sent, startAttempt } from './attempt-loop-send.js';
import { Cancel } from './cancel.js';
import type { Candidate } from './strategy.js';

/** The abort reason of an attempt closed because another one won the race (a hedge's loser). */
export const HEDGE_LOST = Symbol('hedge lost');

/** One attempt in the race: its candidate, what the loop keeps with it, when it started. */
export interface Runner<M> {
  c: Candidate;
  meta: M;
  /** Whether it was started as a hedge (beside an attempt still waiting for its first byte). */
  hedge: boolean;
  startedAt: number;
  /** Whether the loop has decided about hedging it (a hedge is started, or not, once per attempt). */
  hedgeDecided: boolean;
  cancel: Cancel;
}

/** What waiting on the race gives: an attempt that came to something, or the time to look at hedging. */
export type RaceEvent<T, M> = { kind: 'settled'; runner: Runner<M>; sent: Sent<T> } | { kind: 'timer' };

/**
 * The attempts of one request that are out at the same time: one, or two while a hedge runs beside
 * an attempt that has not produced its first byte. Attempts are waited for in the order they come to
 * something; a loser is closed at once (its Cancel aborted, which closes its upstream connection) and
 * whatever it still produces is discarded.
 *
 * @example
 * const race = new AttemptRace(options);
 * race.start(candidate, 10_000, gate, false, now);
 * const ev = await race.next(250); // settled, or { kind: 'timer' } after 250 ms
 */
export class AttemptRace<T, M> {
  private readonly running = new Set<Runner<M>>();
  private readonly settled: Array<{ runner: Runner<M>; sent: Sent<T> }> = [];
  /** Set while `next` waits: hands it the next attempt to come back. */
  private waiting: ((ev: RaceEvent<T, M>) => void) | undefined;

  constructor(private readonly o: LoopOptions<T>) {}

  /** Attempts out, or come back and not yet taken. */
  get size(): number {
    return this.running.size + this.settled.length;
  }

  /** The attempts still out (not come back yet), oldest first. */
  get runners(): Runner<M>[] {
    return [...this.running];
  }

  /** Starts `c`'s attempt with `budgetMs` to come to something. */
  start(c: Candidate, budgetMs: number, meta: M, hedge: boolean, now: number): Runner<M> {
    const runner: Runner<M> = { c, meta, hedge, startedAt: now, hedgeDecided: false, cancel: new Cancel() };
    this.running.add(runner);
    startAttempt(this.o, c, budgetMs, runner.cancel, (sent) => this.arrive(runner, sent));
    return runner;
  }

  /** The next attempt to come to something; `{ kind: 'timer' }` first when `waitMs` passes. */
  next(waitMs: number | undefined): Promise<RaceEvent<T, M>> {
    const first = this.settled.shift();
    if (first) return Promise.resolve({ kind: 'settled', runner: first.runner, sent: first.sent });
    if (waitMs !== undefined && waitMs <= 0) return Promise.resolve({ kind: 'timer' });
    return new Promise((resolve) => {
      const timer =
        waitMs === undefined
          ? undefined
          : setTimeout(() => {
              this.waiting = undefined;
              resolve({ kind: 'timer' });
            }, waitMs);
      this.waiting = (ev) => {
        clearTimeout(timer);
        resolve(ev);
      };
    });
  }

  /** An attempt came back: to the waiting `next`, else kept for the next one; a closed loser's is discarded. */
  private arrive(runner: Runner<M>, sent: Sent<T>): void {
    if (!this.running.delete(runner)) return this.dispose(sent);
    const waiting = this.waiting;
    if (!waiting) {
      this.settled.push({ runner, sent });
      return;
    }
    this.waiting = undefined;
    waiting({ kind: 'settled', runner, sent });
  }

  /** Closes every attempt still out (they lost, or nobody waits): each is handed to `each` once. */
  cancelAll(each: (r: Runner<M>) => void): void {
    for (const r of this.running) {
      this.running.delete(r);
      r.cancel.abort(HEDGE_LOST);
      each(r);
    }
    // Settled but not yet taken: nobody will take them now.
    for (const s of this.settled.splice(0)) {
      each(s.runner);
      this.dispose(s.sent);
    }
  }

  /** A loser's late answer: unhooked from the client, and a stream it opened closed. */
  private dispose(sent: Sent<T>): void {
    sent.unhookClientAbort();
    if (sent.result.kind === 'success') this.o.discard?.(sent.result.value);
  }
}

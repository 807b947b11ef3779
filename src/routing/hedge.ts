/**
 * Hedged requests, the decisions: when a hedge is due, whether the budget allows one, and what the
 * caller's `x-switchyard-hedge` header asks for. Pure functions; the attempt loop acts on them.
 */
import type { Candidate } from './strategy.js';

/** When to start the next candidate: after the provider's measured p95 to first byte, or a fixed delay (ms). */
export type HedgeAfter = 'p95' | number;

/** A route's (or the gateway's) hedging: `after`, and extra upstream requests allowed, in percent of requests. */
export interface HedgeSetting {
  after: HedgeAfter;
  maxExtraPercent: number;
}

/** What a hedge came to, for metrics: started, won (the hedge served), cancelled (a loser was closed). */
export type HedgeOutcome = 'started' | 'won' | 'cancelled';

/** How the attempt loop hedges one request (absent: it never does). */
export interface LoopHedge {
  /** How long after `c`'s attempt started the next candidate is started too; undefined: not for `c`. */
  delayMs(c: Candidate): number | undefined;
  /** Takes one hedge from the budget; false when the budget is spent (no hedge then). */
  take(): boolean;
  report(outcome: HedgeOutcome): void;
}

/**
 * The hedge delay for a provider: a fixed `after`, or its measured p95 (time to first chunk for
 * streams, whole answer otherwise); undefined while it has no measurement (nothing to hedge against).
 *
 * @example
 * hedgeDelayMs(250, undefined); // 250
 * hedgeDelayMs('p95', 840);     // 840
 * hedgeDelayMs('p95', undefined); // undefined
 */
export function hedgeDelayMs(after: HedgeAfter, p95Ms: number | undefined): number | undefined {
  if (after !== 'p95') return after;
  return p95Ms === undefined ? undefined : Math.max(1, Math.round(p95Ms));
}

/**
 * Whether one more hedge stays within the budget: hedges (this one included) at most
 * `maxExtraPercent` of the requests in the window. The bound is strict: 10% of 9 requests allows none.
 *
 * @example
 * budgetAllows(20, 1, 10); // true: a second hedge is 10% of 20
 * budgetAllows(20, 2, 10); // false
 */
export function budgetAllows(requests: number, hedges: number, maxExtraPercent: number): boolean {
  return (hedges + 1) * 100 <= requests * maxExtraPercent;
}

/**
 * The caller's `x-switchyard-hedge` header: `off`, `p95`, or a delay in ms; `invalid` for anything else.
 *
 * @example
 * parseHedgeHeader('150'); // 150
 * parseHedgeHeader('off'); // 'off'
 */
export function parseHedgeHeader(value: string): HedgeAfter | 'off' | 'invalid' {
  const v = value.trim().toLowerCase();
  if (v === 'off' || v === 'p95') return v;
  if (!/^\d{1,7}$/.test(v)) return 'invalid';
  const ms = Number(v);
  return ms > 0 ? ms : 'invalid';
}

/**
 * The hedging in force for one request: the caller's header over the route's over the gateway's. A
 * header turns hedging on with the route's (or default) budget, or off.
 *
 * @example
 * effectiveHedge({ after: 'p95', maxExtraPercent: 10 }, 200); // { after: 200, maxExtraPercent: 10 }
 * effectiveHedge(undefined, 'off');                           // undefined
 */
export function effectiveHedge(configured: HedgeSetting | undefined, header: HedgeAfter | 'off' | undefined, defaultPercent = 10): HedgeSetting | undefined {
  if (header === 'off') return undefined;
  if (header === undefined) return configured;
  return { after: header, maxExtraPercent: configured?.maxExtraPercent ?? defaultPercent };
}

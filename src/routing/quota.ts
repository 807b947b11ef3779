/**
 * Quota: how much of a provider's minute budget is left, and when it will run out at the current pace.
 * Pure functions over numbers the rate-limit tracker reads (`telemetry/rate-limits.ts`) and over the
 * `ProviderView` strategies and lanes see.
 */
import type { ProviderView } from './strategy.js';

/** One budget (requests or tokens, counted by us or reported by the provider) as the prediction sees it. */
export interface BudgetReading {
  /** Units (requests or tokens) left now. */
  remaining: number;
  /** Units spent per second recently (the last `RECENT_SECONDS`). */
  spendPerS: number;
  /** Units per second that come back as the window rolls (our own rolling minute: spent in it / 60); 0 for a window that resets at once. */
  refillPerS: number;
  /** Seconds until the budget resets (a provider's `x-ratelimit-reset-*`); undefined for a rolling minute (horizon: 60 s). */
  resetsInS?: number;
}

/** The recent window the spending pace is measured over, in seconds. */
export const RECENT_SECONDS = 10;
/** How far a rolling-minute budget is looked ahead. */
const ROLLING_HORIZON_S = 60;

/**
 * Seconds until this budget runs out at the current pace, when it will run out before it resets;
 * undefined when it will not (or nothing is being spent). The rule: with `net = spendPerS - refillPerS`,
 * a budget with `remaining <= 0` is out now (0); otherwise, when `net > 0`, it runs out in
 * `remaining / net` seconds, which counts when it is sooner than `resetsInS` (60 s for a rolling minute).
 *
 * @example
 * secondsUntilExhausted({ remaining: 8, spendPerS: 0.2, refillPerS: 0, resetsInS: 60 }); // 40
 * secondsUntilExhausted({ remaining: 80, spendPerS: 0.2, refillPerS: 0, resetsInS: 60 }); // undefined (resets first)
 */
export function secondsUntilExhausted(b: BudgetReading): number | undefined {
  if (b.remaining <= 0) return 0;
  const net = b.spendPerS - b.refillPerS;
  if (!(net > 0)) return undefined;
  const seconds = b.remaining / net;
  return seconds < (b.resetsInS ?? ROLLING_HORIZON_S) ? seconds : undefined;
}

/**
 * The soonest exhaustion among several budgets (requests and tokens, ours and the provider's), or
 * undefined when none runs out before it resets.
 *
 * @example
 * soonestExhaustion([{ remaining: 5, spendPerS: 1, refillPerS: 0, resetsInS: 30 }, { remaining: 0, spendPerS: 0, refillPerS: 0 }]); // 0
 */
export function soonestExhaustion(budgets: readonly BudgetReading[]): number | undefined {
  let soonest: number | undefined;
  for (const b of budgets) {
    const s = secondsUntilExhausted(b);
    if (s !== undefined && (soonest === undefined || s < soonest)) soonest = s;
  }
  return soonest;
}

/**
 * A provider's capacity in [0, 1]: the smaller of its request and token headroom, 1 when neither is
 * known (no limits configured and none reported), 1 without a view.
 *
 * @example
 * capacityOf({ ...view, requestHeadroom: 0.4, tokenHeadroom: 0.9 }); // 0.4
 */
export function capacityOf(view: ProviderView | undefined): number {
  const r = view?.requestHeadroom;
  const t = view?.tokenHeadroom;
  if (r === undefined) return t ?? 1;
  return t === undefined ? r : Math.min(r, t);
}

/**
 * Whether a provider is predicted to run out of its minute budget before that budget resets.
 *
 * @example
 * runsOut({ ...view, exhaustsInS: 12 }); // true
 */
export function runsOut(view: ProviderView | undefined): boolean {
  return view?.exhaustsInS !== undefined;
}

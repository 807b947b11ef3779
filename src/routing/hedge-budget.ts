import { RollingCounter } from '../telemetry/rolling.js';
import { budgetAllows } from './hedge.js';

const REQUESTS = 0;
const HEDGES = 1;
/** The sliding window the budget counts over: 60 one-second slices. */
const SLICE_MS = 1000;
const SLICES = 60;

/** Where hedge budgets are kept: this instance's counts, or the fleet's pooled through Redis. */
export interface HedgeBook {
  /** One request on `route` that hedging could apply to. */
  countRequest(route: string, now: number): void;
  /** Takes one hedge when the budget allows it (and counts it); false otherwise. */
  take(route: string, maxExtraPercent: number, now: number): boolean;
}

/**
 * The hedge budget of each route on this instance: requests that could be hedged and hedges started,
 * over a sliding minute. A hedge is allowed while hedges stay within `maxExtraPercent` of requests, so
 * extra upstream requests never pass that share of a route's traffic over any minute.
 *
 * @example
 * const budget = new HedgeBudgets();
 * budget.countRequest('gpt-4o', now);
 * budget.take('gpt-4o', 10, now); // false until the route has seen 10 requests in the window
 */
export class HedgeBudgets implements HedgeBook {
  private readonly routes = new Map<string, RollingCounter>();

  /** One request on `route` that hedging could apply to. */
  countRequest(route: string, now: number): void {
    this.counter(route).add(REQUESTS, 1, now);
  }

  /** Takes one hedge when the budget allows it (and counts it); false otherwise. */
  take(route: string, maxExtraPercent: number, now: number): boolean {
    const c = this.counter(route);
    if (!budgetAllows(c.sum(REQUESTS, now), c.sum(HEDGES, now), maxExtraPercent)) return false;
    c.add(HEDGES, 1, now);
    return true;
  }

  /** Requests and hedges in the window, for tests and reports. */
  counts(route: string, now: number): { requests: number; hedges: number } {
    const c = this.routes.get(route);
    return c ? { requests: c.sum(REQUESTS, now), hedges: c.sum(HEDGES, now) } : { requests: 0, hedges: 0 };
  }

  private counter(route: string): RollingCounter {
    let c = this.routes.get(route);
    if (!c) {
      c = new RollingCounter(SLICE_MS, SLICES, 2);
      this.routes.set(route, c);
    }
    return c;
  }
}

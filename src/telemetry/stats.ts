import type { ProviderConfig } from '../config/schema.js';
import { RollingHistogram } from './histogram.js';
import { RateLimitTracker } from './rate-limits.js';
import { RollingCounter } from './rolling.js';
import type { Usage } from './usage.js';

export interface ProviderTotals {
  requests: number;
  successes: number;
  failures: number;
  /** Answers passed back to the client as its own error (4xx); the provider itself was fine. */
  rejected: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export type Outcome = 'success' | 'failure' | 'rejected';

const WINDOW_SLICE_MS = 10_000;
const WINDOW_SLICES = 30; // 5 minutes
const SUCCESS = 0;
const FAILURE = 1;

/** Per-provider counters, a rolling latency window and rate-limit tracking, kept in process. */
export class ProviderStats {
  readonly totals: ProviderTotals = { requests: 0, successes: 0, failures: 0, rejected: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
  readonly latency = new RollingHistogram(WINDOW_SLICE_MS, WINDOW_SLICES);
  readonly ttft = new RollingHistogram(WINDOW_SLICE_MS, WINDOW_SLICES);
  readonly recent = new RollingCounter(WINDOW_SLICE_MS, WINDOW_SLICES, 2);
  readonly rate: RateLimitTracker;
  private cache: Recent & { at: number; requests: number } = { at: -Infinity, requests: 0 };

  constructor(config?: Pick<ProviderConfig, 'rpm_limit' | 'tpm_limit'>) {
    this.rate = new RateLimitTracker(config?.rpm_limit, config?.tpm_limit);
  }

  static readonly windowSeconds = (WINDOW_SLICE_MS * WINDOW_SLICES) / 1000;

  recordAttempt(outcome: Outcome, latencyMs: number, now = Date.now()): void {
    this.totals.requests += 1;
    if (outcome === 'success') {
      this.totals.successes += 1;
      this.recent.add(SUCCESS, 1, now);
    } else if (outcome === 'failure') {
      this.totals.failures += 1;
      this.recent.add(FAILURE, 1, now);
    } else {
      this.totals.rejected += 1;
    }
    this.latency.record(latencyMs, now);
  }

  recordFirstChunk(ms: number, now = Date.now()): void {
    this.ttft.record(ms, now);
  }

  recordUsage(usage: Usage, costUsd: number, now = Date.now()): void {
    this.totals.promptTokens += usage.promptTokens;
    this.totals.completionTokens += usage.completionTokens;
    this.totals.costUsd += costUsd;
    this.rate.recordTokens(usage.promptTokens + usage.completionTokens, now);
  }

  recentOutcomes(now = Date.now()): { successes: number; failures: number } {
    return { successes: this.recent.sum(SUCCESS, now), failures: this.recent.sum(FAILURE, now) };
  }

  /** Successes and failures of about the last minute (the slices that started within it). */
  lastMinute(now = Date.now()): { successes: number; failures: number } {
    const since = now - 60_000;
    return { successes: this.recent.sumSince(SUCCESS, since, now), failures: this.recent.sumSince(FAILURE, since, now) };
  }

  /**
   * Recent medians and p95s, recomputed at most once a second (strategies and hedging may read them on
   * every request), and at once when a provider that had no measurement gets its first.
   */
  medians(now = Date.now()): Recent {
    const firstMeasurement = this.cache.p50 === undefined && this.totals.requests > this.cache.requests;
    if (now - this.cache.at >= 1000 || firstMeasurement) {
      const latency = this.latency.snapshot(now);
      const ttft = this.ttft.snapshot(now);
      this.cache = { at: now, requests: this.totals.requests, ...defined({ p50: latency.quantile(0.5), p95: latency.quantile(0.95), ttftP50: ttft.quantile(0.5), ttftP95: ttft.quantile(0.95) }) };
    }
    const { at: _at, requests: _requests, ...recent } = this.cache;
    return recent;
  }
}

/** Recent latency percentiles in ms (absent until measured): whole answers, and streams' first chunk. */
export interface Recent {
  p50?: number;
  p95?: number;
  ttftP50?: number;
  ttftP95?: number;
}

function defined(r: Record<keyof Recent, number | undefined>): Recent {
  const out: Recent = {};
  for (const [k, v] of Object.entries(r) as Array<[keyof Recent, number | undefined]>) if (v !== undefined) out[k] = v;
  return out;
}

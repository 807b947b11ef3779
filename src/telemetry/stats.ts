import { RollingHistogram } from './histogram.js';
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

export interface ProviderStatsReport extends ProviderTotals {
  latency_ms: { p50: number | null; p95: number | null; p99: number | null; window_seconds: number };
}

/** Per-provider counters and a rolling latency window, kept in process. */
export class ProviderStats {
  readonly totals: ProviderTotals = {
    requests: 0,
    successes: 0,
    failures: 0,
    rejected: 0,
    promptTokens: 0,
    completionTokens: 0,
    costUsd: 0,
  };
  readonly latency = new RollingHistogram();

  recordAttempt(outcome: 'success' | 'failure' | 'rejected', latencyMs: number, now = Date.now()): void {
    this.totals.requests += 1;
    if (outcome === 'success') this.totals.successes += 1;
    else if (outcome === 'failure') this.totals.failures += 1;
    else this.totals.rejected += 1;
    this.latency.record(latencyMs, now);
  }

  recordUsage(usage: Usage, costUsd: number): void {
    this.totals.promptTokens += usage.promptTokens;
    this.totals.completionTokens += usage.completionTokens;
    this.totals.costUsd += costUsd;
  }

  private cachedP50: { at: number; value: number | undefined } = { at: -Infinity, value: undefined };

  /** Recent median latency, recomputed at most once a second: strategies call this on every request. */
  p50(now = Date.now()): number | undefined {
    if (now - this.cachedP50.at >= 1000) this.cachedP50 = { at: now, value: this.latency.snapshot(now).quantile(0.5) };
    return this.cachedP50.value;
  }

  report(now = Date.now()): ProviderStatsReport {
    const h = this.latency.snapshot(now);
    const q = (x: number) => {
      const v = h.quantile(x);
      return v === undefined ? null : Math.round(v * 100) / 100;
    };
    return {
      ...this.totals,
      costUsd: Math.round(this.totals.costUsd * 1e6) / 1e6,
      latency_ms: {
        p50: q(0.5),
        p95: q(0.95),
        p99: q(0.99),
        window_seconds: (this.latency.sliceMs * this.latency.sliceCount) / 1000,
      },
    };
  }
}

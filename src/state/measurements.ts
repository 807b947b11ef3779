import type { CircuitState } from '../routing/circuit-breaker.js';
import type { LatencyHistogram } from '../telemetry/histogram.js';
import { type Outcome, ProviderStats } from '../telemetry/stats.js';
import type { Usage } from '../telemetry/usage.js';
import { type GroupBy, groupRows, lineKey, type Period, UsageLedger, type UsageRow } from '../telemetry/usage-ledger.js';

export interface Percentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ProviderReport {
  circuit: CircuitState;
  requests: number;
  successes: number;
  failures: number;
  rejected: number;
  latency_ms: Percentiles & { window_seconds: number };
  first_chunk_ms: Percentiles;
  tokens: { prompt: number; completion: number; total: number };
  cost_usd: number;
}

export interface StatsReport {
  /** `redis`: across every instance sharing it; `local`: this instance (no Redis, or Redis unreachable). */
  source: 'local' | 'redis';
  providers: Record<string, Omit<ProviderReport, 'circuit'>>;
}

export interface UsageReport {
  source: 'local' | 'redis';
  period: Period;
  group_by: GroupBy;
  usage: Record<string, UsageRow>;
  total: UsageRow;
}

/**
 * Where measurements go after each request. Recording is synchronous and in process (never a network
 * wait on the request path); reading may consult shared storage.
 */
export interface Measurements {
  /** Per-provider view for strategies: always this instance's own, always in process. */
  readonly local: ReadonlyMap<string, ProviderStats>;
  recordAttempt(provider: string, model: string, outcome: Outcome, latencyMs: number, now: number): void;
  recordFirstChunk(provider: string, model: string, ms: number, now: number): void;
  /** `key`: the client key's name, for /usage?group_by=key. */
  recordUsage(provider: string, model: string, usage: Usage, costUsd: number, now: number, key?: string): void;
  stats(now: number): Promise<StatsReport>;
  /** Providers a config reload added (existing ones keep their numbers). */
  addProviders(providers: ReadonlyArray<{ name: string; rpm_limit?: number; tpm_limit?: number }>): void;
  usage(period: Period, groupBy: GroupBy, now: number): Promise<UsageReport>;
  close(): Promise<void>;
}

export const percentiles = (h: LatencyHistogram): Percentiles => {
  const q = (x: number) => {
    const v = h.quantile(x);
    return v === undefined ? null : Math.round(v * 100) / 100;
  };
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99) };
};

/** Measurements of a single instance, in process: the default without Redis. */
export class LocalMeasurements implements Measurements {
  readonly local: Map<string, ProviderStats>;
  readonly ledger = new UsageLedger();

  constructor(providers: ReadonlyArray<{ name: string; rpm_limit?: number; tpm_limit?: number }>) {
    this.local = new Map(providers.map((p) => [p.name, new ProviderStats(p)]));
  }

  recordAttempt(provider: string, _model: string, outcome: Outcome, latencyMs: number, now: number): void {
    this.local.get(provider)?.recordAttempt(outcome, latencyMs, now);
  }

  addProviders(providers: ReadonlyArray<{ name: string; rpm_limit?: number; tpm_limit?: number }>): void {
    for (const p of providers) if (!this.local.has(p.name)) this.local.set(p.name, new ProviderStats(p));
  }

  recordFirstChunk(provider: string, _model: string, ms: number, now: number): void {
    this.local.get(provider)?.recordFirstChunk(ms, now);
  }

  recordUsage(provider: string, model: string, usage: Usage, costUsd: number, now: number, key?: string): void {
    this.local.get(provider)?.recordUsage(usage, costUsd, now);
    this.ledger.record(lineKey(provider, model, key), { requests: 1, prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, cost_usd: costUsd }, now);
  }

  async stats(now: number): Promise<StatsReport> {
    const providers: StatsReport['providers'] = {};
    for (const [name, s] of this.local) {
      const t = s.totals;
      providers[name] = {
        requests: t.requests,
        successes: t.successes,
        failures: t.failures,
        rejected: t.rejected,
        latency_ms: { ...percentiles(s.latency.snapshot(now)), window_seconds: ProviderStats.windowSeconds },
        first_chunk_ms: percentiles(s.ttft.snapshot(now)),
        tokens: { prompt: t.promptTokens, completion: t.completionTokens, total: t.promptTokens + t.completionTokens },
        cost_usd: Math.round(t.costUsd * 1e6) / 1e6,
      };
    }
    return { source: 'local', providers };
  }

  async usage(period: Period, groupBy: GroupBy, now: number): Promise<UsageReport> {
    return usageReport('local', period, groupBy, this.ledger.lines(period, now));
  }

  async close(): Promise<void> {}
}

export function usageReport(source: 'local' | 'redis', period: Period, groupBy: GroupBy, lines: Iterable<[string, UsageRow]>): UsageReport {
  const usage = groupRows(lines, groupBy);
  const total = groupRows(
    Object.values(usage).map((r) => ['all|', r] as [string, UsageRow]),
    'provider',
  ).all ?? { requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 };
  return { source, period, group_by: groupBy, usage, total };
}

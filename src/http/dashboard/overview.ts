import type { Gateway } from '../../gateway.js';
import type { StatusIndicator } from '../../providers/status-pages.js';
import type { CircuitState } from '../../routing/circuit-breaker.js';
import type { Percentiles, StatsReport } from '../../state/measurements.js';
import { healthReport } from '../routes/ops.js';
import type { PerMinute, RateSampler } from './rates.js';

/** One provider as operators see it on the dashboard and in `switchyard status`. */
export interface ProviderOverview {
  name: string;
  type: string;
  circuit: CircuitState;
  /** Attempts and failed attempts in about the last minute (`rates` says whose). */
  requests_per_minute: number;
  failures_per_minute: number;
  latency_ms: Percentiles;
  first_chunk_ms: Percentiles;
  /** Since midnight UTC. */
  today: { requests: number; tokens: number; cost_usd: number };
  /** Share of the provider's rate limits left (0..1; null: no limit known), this instance's view. */
  headroom: { requests: number | null; tokens: number | null };
  /** The provider's public status page indicator (null: none configured, or not read yet). */
  status_page: StatusIndicator | null;
}

/** What `GET /admin/overview` answers: the figures of the dashboard and of `switchyard status`. */
export interface Overview {
  at: string;
  status: 'ok' | 'degraded' | 'unavailable';
  uptime_seconds: number;
  strategy: string;
  /** The routing mode in force (`modes`), or null. */
  mode: string | null;
  /** `redis`: latency, totals, cost and breakers are the fleet's (every instance sharing Redis); `local`: this instance's. */
  source: 'local' | 'redis';
  /** `fleet`: per-minute rates from the fleet's counters; `instance`: this instance's own. */
  rates: 'fleet' | 'instance';
  /** With Redis: the instances that served requests in the last 5 minutes (they report measurements); null without. */
  instances: number | null;
  providers: ProviderOverview[];
  today: { requests: number; tokens: number; cost_usd: number };
  open_breakers: string[];
}

const INSTANCE_FRESH_MS = 300_000;

/**
 * The overview of every provider in chain order, from the same readings as `/health`, `/stats` and
 * `/usage` (fleet-wide with Redis), plus this instance's rate-limit headroom and last-minute rates.
 *
 * @example
 * const overview = await buildOverview(gateway, new RateSampler());
 * overview.providers[0]; // { name: 'openai', circuit: 'closed', requests_per_minute: 12, ... }
 */
export async function buildOverview(gateway: Gateway, sampler: RateSampler): Promise<Overview> {
  const now = gateway.clock();
  const health = healthReport(gateway, false);
  const [stats, usage, instances] = await Promise.all([gateway.measurements.stats(now), gateway.measurements.usage('today', 'provider', now), countInstances(gateway, now)]);
  // Fleet rates only when every provider has one (a table mixing whose rates they are would mislead).
  const fleetRates = new Map(gateway.chain.map((name) => [name, fleetRate(stats, sampler, name, now)]));
  const useFleet = gateway.chain.length > 0 && [...fleetRates.values()].every((r) => r !== undefined);
  const providers: ProviderOverview[] = [];
  for (const name of gateway.chain) {
    const runtime = gateway.providers.get(name);
    const local = runtime?.stats;
    const s = stats.providers[name];
    const u = usage.usage[name];
    const fleet = useFleet ? fleetRates.get(name) : undefined;
    const minute = local?.lastMinute(now) ?? { successes: 0, failures: 0 };
    const empty: Percentiles = { p50: null, p95: null, p99: null };
    providers.push({
      name,
      type: runtime?.config.type ?? 'unknown',
      circuit: gateway.breakers.state(name),
      requests_per_minute: fleet?.requests ?? minute.successes + minute.failures,
      failures_per_minute: fleet?.failures ?? minute.failures,
      latency_ms: s ? pick(s.latency_ms) : empty,
      first_chunk_ms: s?.first_chunk_ms ?? empty,
      today: { requests: u?.requests ?? 0, tokens: (u?.prompt_tokens ?? 0) + (u?.completion_tokens ?? 0), cost_usd: u?.cost_usd ?? 0 },
      headroom: { requests: local?.rate.requestHeadroom(now) ?? null, tokens: local?.rate.tokenHeadroom(now) ?? null },
      status_page: gateway.statusPages.get(name) ?? null,
    });
  }
  const t = usage.total;
  return {
    at: new Date(now).toISOString(),
    status: health.status,
    uptime_seconds: health.uptime_seconds,
    strategy: gateway.view().routing.strategy,
    mode: gateway.modes.active ?? null,
    source: stats.source,
    rates: useFleet ? 'fleet' : 'instance',
    instances,
    providers,
    today: { requests: t.requests, tokens: t.prompt_tokens + t.completion_tokens, cost_usd: t.cost_usd },
    open_breakers: providers.filter((p) => p.circuit === 'open').map((p) => p.name),
  };
}

function fleetRate(stats: StatsReport, sampler: RateSampler, name: string, now: number): PerMinute | undefined {
  const s = stats.providers[name];
  return s && stats.source === 'redis' ? sampler.observe(name, now, s.requests, s.failures) : undefined;
}

const pick = (p: Percentiles): Percentiles => ({ p50: p.p50, p95: p.p95, p99: p.p99 });

async function countInstances(gateway: Gateway, now: number): Promise<number | null> {
  const shared = gateway.shared;
  if (!shared) return null;
  try {
    return await shared.client.zcount(shared.keys.instances, now - INSTANCE_FRESH_MS, '+inf');
  } catch {
    return null;
  }
}

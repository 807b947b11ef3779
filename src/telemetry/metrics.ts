import { collectDefaultMetrics, type Metric, Registry } from 'prom-client';
import type { CircuitState } from '../routing/circuit-breaker.js';
import { CounterFamily, type CounterSeries, GaugeFamily, HistogramFamily, type HistogramSeries } from './series.js';

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

export type AttemptOutcome = 'success' | 'failure' | 'rejected';

/** Per-provider metric series, resolved once so the request path does no label look-up. */
interface ProviderChildren {
  attempts: Record<AttemptOutcome, CounterSeries>;
  latency: HistogramSeries;
  firstChunk: HistogramSeries;
  failovers: CounterSeries;
}

/** The Prometheus registry of one gateway instance; every name starts with `switchyard_`. */
export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly children = new Map<string, ProviderChildren>();

  readonly httpRequests = new CounterFamily({
    name: 'switchyard_http_requests_total',
    help: 'Requests answered by the gateway, by route and status code',
    labelNames: ['route', 'status'] as const,
    registers: [this.registry],
  });
  readonly upstreamRequests = new CounterFamily({
    name: 'switchyard_requests_total',
    help: 'Upstream attempts by provider and outcome (success, failure: failed over or counted by the breaker, rejected: a client error passed back)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly upstreamLatency = new HistogramFamily({
    name: 'switchyard_upstream_latency_seconds',
    help: 'Upstream attempt latency: full response, or first chunk for streams',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly firstChunk = new HistogramFamily({
    name: 'switchyard_stream_first_chunk_seconds',
    help: 'Time from request arrival to the first streamed chunk sent to the client',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly failovers = new CounterFamily({
    name: 'switchyard_failovers_total',
    help: 'Times a request moved on from a provider to the next candidate',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly hedges = new CounterFamily({
    name: 'switchyard_hedges_total',
    help: 'Hedged requests: hedges started, hedges that won (served), attempts cancelled because another answered first',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly streamRecoveries = new CounterFamily({
    name: 'switchyard_stream_recoveries_total',
    help: 'Chat streams cut mid-answer and continued by another provider (stream_recovery: continue)',
    labelNames: ['from', 'to'] as const,
    registers: [this.registry],
  });
  readonly upstreamSaturated = new CounterFamily({
    name: 'switchyard_upstream_saturated_total',
    help: 'Attempts not sent because the provider was at its max_connections on this instance (failed over)',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly exhausted = new CounterFamily({
    name: 'switchyard_requests_unserved_total',
    help: 'Requests that no provider could serve',
    registers: [this.registry],
  });
  readonly streamErrors = new CounterFamily({
    name: 'switchyard_stream_errors_total',
    help: 'Streams that failed after the first chunk was sent (ended with an error event)',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly circuitState = new GaugeFamily({
    name: 'switchyard_circuit_state',
    help: 'Circuit breaker state per provider: 0 closed, 1 half-open, 2 open',
    labelNames: ['provider'] as const,
    registers: [this.registry],
  });
  readonly circuitTransitions = new CounterFamily({
    name: 'switchyard_circuit_transitions_total',
    help: 'Circuit breaker transitions by provider and new state',
    labelNames: ['provider', 'state'] as const,
    registers: [this.registry],
  });
  readonly tokens = new CounterFamily({
    name: 'switchyard_tokens_total',
    help: 'Tokens reported by upstream usage, by provider, model and kind (prompt, completion)',
    labelNames: ['provider', 'model', 'kind'] as const,
    registers: [this.registry],
  });
  readonly cost = new CounterFamily({
    name: 'switchyard_cost_usd_total',
    help: 'Cost in USD from the configured pricing table, by provider and model',
    labelNames: ['provider', 'model'] as const,
    registers: [this.registry],
  });

  readonly inFlight = new GaugeFamily({
    name: 'switchyard_in_flight_requests',
    help: 'Proxied requests in flight (streams until they end)',
    registers: [this.registry],
  });
  readonly rejected = new CounterFamily({
    name: 'switchyard_rejected_requests_total',
    help: 'Requests refused before routing, by reason (saturated, rate_limited, draining, unauthorized, too_large)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  /** Per client key name (`auth.keys` objects name them; plain keys show as `key-<digest>`), never the key. */
  readonly keyRejected = new CounterFamily({
    name: 'switchyard_key_rejected_requests_total',
    help: 'Requests of one client key refused by its policy, by reason (model_not_allowed, rate_limited, budget_exceeded)',
    labelNames: ['key', 'reason'] as const,
    registers: [this.registry],
  });
  readonly keyTokens = new CounterFamily({
    name: 'switchyard_key_tokens_total',
    help: 'Tokens (prompt and completion) of the answers one client key was served',
    labelNames: ['key'] as const,
    registers: [this.registry],
  });
  readonly keyCost = new CounterFamily({
    name: 'switchyard_key_cost_usd_total',
    help: 'Cost in USD of the answers one client key was served, at the configured prices',
    labelNames: ['key'] as const,
    registers: [this.registry],
  });
  /** Per priority lane (x-switchyard-priority): `routed`, or `shed` when the lane left no provider to try. */
  readonly laneRequests = new CounterFamily({
    name: 'switchyard_lane_requests_total',
    help: 'Requests by priority lane (high, normal, low) and result (routed; shed: no provider had capacity the lane may use)',
    labelNames: ['lane', 'result'] as const,
    registers: [this.registry],
  });
  readonly overhead = new HistogramFamily({
    name: 'switchyard_gateway_overhead_seconds',
    help: 'Time the gateway itself adds to a request: until the response starts, minus time spent waiting on upstreams',
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly idempotencyHits = new CounterFamily({
    name: 'switchyard_idempotency_replays_total',
    help: 'Requests answered from a stored answer of an earlier request with the same Idempotency-Key',
    registers: [this.registry],
  });
  readonly configReloads = new CounterFamily({
    name: 'switchyard_config_reloads_total',
    help: 'Config reloads by result (success, failure: refused, the previous config kept serving)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly redisUp = new GaugeFamily({
    name: 'switchyard_redis_up',
    help: 'Whether shared state in Redis is reachable (1) or the instance runs on local state (0); absent without Redis',
    registers: [],
  });
  readonly redisErrors = new CounterFamily({
    name: 'switchyard_redis_errors_total',
    help: 'Failed Redis operations by operation (the request path never waits for them)',
    labelNames: ['op'] as const,
    registers: [],
  });
  readonly redisFlush = new HistogramFamily({
    name: 'switchyard_redis_flush_seconds',
    help: 'Time to write one pipelined batch of measurements to Redis',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [],
  });

  /** Registers the Redis metrics (only instances that use Redis expose them). */
  enableRedisMetrics(): void {
    this.registry.registerMetric(this.redisUp as unknown as Metric);
    this.registry.registerMetric(this.redisErrors as unknown as Metric);
    this.registry.registerMetric(this.redisFlush as unknown as Metric);
  }

  /** `runtime`: also the process's own metrics (CPU, memory, GC, event-loop delay), whose collectors run for the process's life. */
  constructor(providers: readonly string[], runtime = true) {
    if (runtime) {
      collectDefaultMetrics({ register: this.registry, prefix: 'switchyard_' });
      // prom-client names these gauges *_total, which Prometheus reserves for counters (promtool flags them).
      for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
        this.registry.removeSingleMetric(`switchyard_${name}`);
      }
    }
    this.addProviders(providers);
  }

  /** Resolves the per-provider children (at start, and for providers a reload adds). */
  addProviders(providers: readonly string[]): void {
    for (const p of providers) {
      if (this.children.has(p)) continue;
      this.children.set(p, {
        attempts: {
          success: this.upstreamRequests.labels(p, 'success'),
          failure: this.upstreamRequests.labels(p, 'failure'),
          rejected: this.upstreamRequests.labels(p, 'rejected'),
        },
        latency: this.upstreamLatency.labels(p),
        firstChunk: this.firstChunk.labels(p),
        failovers: this.failovers.labels(p),
      });
      this.setCircuitState(p, 'closed');
    }
  }

  recordAttempt(provider: string, outcome: AttemptOutcome, latencyMs: number, failedOver: boolean): void {
    const c = this.children.get(provider);
    if (!c) return;
    c.attempts[outcome].inc();
    c.latency.observe(latencyMs / 1000);
    if (failedOver) c.failovers.inc();
  }

  /** One answered client request (the family keeps each route and status's series). */
  recordHttp(route: string, status: number): void {
    // Found through two small maps: the family's own look-up joins the label values into a key each time.
    let byStatus = this.httpChildren.get(route);
    if (!byStatus) {
      byStatus = new Map();
      this.httpChildren.set(route, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      series = this.httpRequests.labels(route, status);
      byStatus.set(status, series);
    }
    series.inc();
  }

  private readonly httpChildren = new Map<string, Map<number, CounterSeries>>();

  /** One planned request of a priority lane: `routed`, or `shed` (no provider its lane may use). */
  recordLane(lane: string, result: 'routed' | 'shed'): void {
    let c = this.laneChildren.get(lane);
    if (!c) {
      c = {};
      this.laneChildren.set(lane, c);
    }
    (c[result] ??= this.laneRequests.labels(lane, result)).inc();
  }

  private readonly laneChildren = new Map<string, Partial<Record<'routed' | 'shed', CounterSeries>>>();

  private readonly usageChildren = new Map<string, { prompt: CounterSeries; completion: CounterSeries; cost: CounterSeries }>();

  /** Tokens and cost of one answer; the three series of a provider and model are found with one look-up. */
  recordUsage(provider: string, model: string, promptTokens: number, completionTokens: number, costUsd: number): void {
    const key = `${provider}\0${model}`;
    let c = this.usageChildren.get(key);
    if (!c) {
      c = { prompt: this.tokens.labels(provider, model, 'prompt'), completion: this.tokens.labels(provider, model, 'completion'), cost: this.cost.labels(provider, model) };
      this.usageChildren.set(key, c);
    }
    c.prompt.inc(promptTokens);
    c.completion.inc(completionTokens);
    if (costUsd > 0) c.cost.inc(costUsd);
  }

  private readonly modeInfo = new GaugeFamily({
    name: 'switchyard_mode',
    help: 'The routing mode in force on this instance (1 for the active mode; "none" when no mode is active)',
    labelNames: ['mode'] as const,
    registers: [this.registry],
  });

  setMode(mode: string | undefined): void {
    this.modeInfo.reset();
    this.modeInfo.labels(mode ?? 'none').set(1);
  }

  /** Tokens and cost of one answer to a client key. */
  recordKeyUsage(key: string, tokens: number, costUsd: number): void {
    this.keyTokens.labels(key).inc(tokens);
    if (costUsd > 0) this.keyCost.labels(key).inc(costUsd);
  }

  recordFirstChunk(provider: string, ms: number): void {
    this.children.get(provider)?.firstChunk.observe(ms / 1000);
  }

  setCircuitState(provider: string, state: CircuitState): void {
    this.circuitState.labels(provider).set(STATE_VALUE[state]);
  }
}

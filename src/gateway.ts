import { dirname } from 'node:path';
import type { LoadedConfig } from './config/load.js';
import type { ProviderConfig } from './config/schema.js';
import { createAdapter } from './providers/registry.js';
import type { ProviderAdapter } from './providers/types.js';
import { Breakers } from './routing/breakers.js';
import { loadStrategy } from './routing/strategy-loader.js';
import type { ProviderView, RoutingSnapshot, Strategy } from './routing/strategy.js';
import { MemoryStore } from './state/memory-store.js';
import type { StateStore } from './state/store.js';
import type { Logger } from './telemetry/logger.js';
import { GatewayMetrics } from './telemetry/metrics.js';
import { ProviderStats } from './telemetry/stats.js';

export interface GatewayOptions {
  logger: Logger;
  store?: StateStore;
  clock?: () => number;
}

/** Everything one running instance holds: providers, breakers, strategy and telemetry. */
export class Gateway {
  readonly providers: ReadonlyMap<string, ProviderConfig>;
  readonly adapters: ReadonlyMap<string, ProviderAdapter>;
  readonly stats = new Map<string, ProviderStats>();
  readonly breakers: Breakers;
  readonly metrics: GatewayMetrics;
  readonly startedAt = Date.now();

  private constructor(
    readonly loaded: LoadedConfig,
    readonly strategy: Strategy,
    readonly logger: Logger,
    readonly store: StateStore,
    clock: () => number,
  ) {
    this.providers = new Map(loaded.providers.map((p) => [p.name, p]));
    this.adapters = new Map(loaded.providers.map((p) => [p.name, createAdapter(p)]));
    for (const p of loaded.providers) this.stats.set(p.name, new ProviderStats());
    const cb = loaded.config.circuit_breaker;
    this.breakers = new Breakers(store, { failureThreshold: cb.failure_threshold, cooldownMs: cb.cooldown_seconds * 1000 }, clock);
    this.metrics = new GatewayMetrics(loaded.chain);
    store.onBreakerChange((provider, next, previous) => {
      if (next.state === previous.state) return;
      this.metrics.setCircuitState(provider, next.state);
      this.metrics.circuitTransitions.labels(provider, next.state).inc();
      const log = next.state === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger);
      log({ provider, from: previous.state, to: next.state, failures: next.failures }, 'circuit breaker transition');
    });
  }

  static async create(loaded: LoadedConfig, options: GatewayOptions): Promise<Gateway> {
    const baseDir = loaded.source === '(inline)' ? process.cwd() : dirname(loaded.source);
    const strategy = await loadStrategy(loaded.config.routing.strategy, baseDir);
    return new Gateway(
      loaded,
      strategy,
      options.logger,
      options.store ?? new MemoryStore(),
      options.clock ?? Date.now,
    );
  }

  get config() {
    return this.loaded.config;
  }

  get chain(): readonly string[] {
    return this.loaded.chain;
  }

  /**
   * The picture strategies order from: in process, no I/O. Built on first read, so a strategy that
   * ignores it (priority) costs nothing.
   */
  snapshot(now = Date.now()): RoutingSnapshot {
    let providers: Map<string, ProviderView> | undefined;
    const build = () => this.providerViews(now);
    return {
      now,
      get providers() {
        return (providers ??= build());
      },
    };
  }

  private providerViews(now: number): Map<string, ProviderView> {
    const providers = new Map<string, ProviderView>();
    for (const name of this.loaded.chain) {
      const s = this.stats.get(name)!;
      const p50 = s.totals.requests > 0 ? s.p50(now) : undefined;
      providers.set(name, {
        state: this.breakers.state(name),
        requests: s.totals.requests,
        successes: s.totals.successes,
        failures: s.totals.failures,
        ...(p50 !== undefined ? { latencyP50Ms: p50 } : {}),
      });
    }
    return providers;
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

import { type LoadedConfig, providerKeys } from './config/load.js';
import type { RoutingView } from './config/modes.js';
import type { ProviderConfig } from './config/schema.js';
import { loadConfiguredStrategies } from './config/validate-runtime.js';
import { KeyBook } from './core/client-keys.js';
import type { ApiError } from './core/errors.js';
import type { GatewayEvents } from './core/events.js';
import { ModelCatalog } from './core/model-catalog.js';
import { type ModeSwitch, routingView } from './core/modes.js';
import { type ProviderLookup, ProviderRuntime } from './core/provider-runtime.js';
import { WebhookSender } from './core/webhooks.js';
import { buildState, carryState, type GatewayState } from './gateway-state.js';
import { UpstreamAgentPool } from './providers/http-client.js';
import { KeyRing } from './providers/key-ring.js';
import { type AdapterClasses, createAdapter, loadAdapters } from './providers/registry.js';
import { StatusPages } from './providers/status-pages.js';
import type { ProviderAdapter } from './providers/types.js';
import { Breakers } from './routing/breakers.js';
import type { SessionAffinity } from './routing/sessions.js';
import type { ProviderView, RoutingSnapshot, Strategy } from './routing/strategy.js';
import type { BudgetStore } from './state/budget-store.js';
import type { IdempotencyStore } from './state/idempotency-store.js';
import type { Measurements } from './state/measurements.js';
import type { RateLimiter } from './state/rate-limiter.js';
import type { SharedState } from './state/shared-state.js';
import type { StateStore } from './state/store.js';
import type { Logger } from './telemetry/logger.js';
import type { GatewayMetrics } from './telemetry/metrics.js';
import type { PriceTable } from './telemetry/prices.js';
import type { Price } from './telemetry/usage.js';

export interface GatewayOptions {
  logger: Logger;
  clock?: () => number;
  random?: () => number;
  /** Per provider name: its adapter, built by the caller (the library's client providers) instead of by `type`. */
  adapters?: ReadonlyMap<string, (config: ProviderConfig) => ProviderAdapter>;
  /**
   * Whether the metrics include the process's own (CPU, memory, GC, event-loop delay; default true).
   * Their collectors watch the whole process for its life, so only the gateway that serves should have them.
   */
  runtimeMetrics?: boolean;
}

/** What a gateway is built from: the state that outlives a reload, its strategies and adapters, its runtime controls. */
interface Parts extends GatewayState {
  strategies: ReadonlyMap<string, Strategy>;
  adapterClasses: AdapterClasses;
  runtime: RuntimeControls;
}

/** Set by the server: config reloads (for /admin/reload and /health). */
export interface RuntimeControls {
  reload(): Promise<{ ok: true } | { ok: false; error: string }>;
  lastReload?: { at: string; ok: boolean; error?: string };
}

/** Everything one running instance holds: providers, breakers, strategies, state and telemetry. */
export class Gateway {
  /** Each configured provider, by name: config, adapter, key ring, breaker and measurements. */
  readonly providers: ReadonlyMap<string, ProviderRuntime>;
  /** The providers' configs by name, for the pure planning functions. */
  readonly configs: ProviderLookup;
  readonly breakers: Breakers;
  readonly sessions: SessionAffinity;
  readonly statusPages: StatusPages;
  /** Every model name it can serve, upstream lists included (read in the background). */
  readonly models: ModelCatalog;
  /** Every strategy a request may name: the built-ins and the configured ones. */
  readonly strategies: ReadonlyMap<string, Strategy>;
  readonly prices: PriceTable;
  readonly metrics: GatewayMetrics;
  readonly store: StateStore;
  readonly measurements: Measurements;
  /** Set when state is shared through Redis. */
  readonly shared: SharedState | undefined;
  readonly runtime: RuntimeControls;
  readonly rateLimiter: RateLimiter;
  /** Spend per client key name against its budget (shared through Redis when configured). */
  readonly budgets: BudgetStore;
  /** The client keys (`auth.keys`) with their policies. */
  readonly keyBook: KeyBook;
  readonly idempotency: IdempotencyStore;
  /** Routing, failover, breaker, success and failure events (kept across reloads, like the state). */
  readonly events: GatewayEvents;
  /** The mode in force (`modes`, `mode:`, POST /admin/mode), kept across reloads. */
  readonly modes: ModeSwitch;
  readonly startedAt = Date.now();
  /** Whether any provider declares capabilities (else the planner skips the capability filter). */
  readonly declaresCapabilities: boolean;
  /** Proxied requests in flight on this gateway (streams until they end). */
  inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private readonly agents = new UpstreamAgentPool();
  /** Set when `events.webhooks` lists any: this config's sender (a reload starts the next one's). */
  private readonly webhooks: WebhookSender | undefined;

  private constructor(
    readonly loaded: LoadedConfig,
    parts: Parts,
    readonly logger: Logger,
    readonly clock: () => number,
    private readonly random: () => number,
    adapters: GatewayOptions['adapters'],
  ) {
    ({
      strategies: this.strategies,
      prices: this.prices,
      metrics: this.metrics,
      store: this.store,
      measurements: this.measurements,
      sessions: this.sessions,
      runtime: this.runtime,
      rateLimiter: this.rateLimiter,
      budgets: this.budgets,
      idempotency: this.idempotency,
      events: this.events,
      modes: this.modes,
    } = parts);
    this.shared = parts.shared;
    this.keyBook = new KeyBook(loaded.config.auth.keys);
    this.baseView = { routing: loaded.config.routing, models: loaded.config.models };
    this.declaresCapabilities = loaded.providers.some((p) => p.capabilities !== undefined || p.model_capabilities !== undefined);
    const cb = loaded.config.circuit_breaker;
    this.breakers = new Breakers(this.store, { failureThreshold: cb.failure_threshold, cooldownMs: cb.cooldown_seconds * 1000 }, clock);
    const runtime = (p: ProviderConfig) => {
      const agents = this.agents.forProvider(loaded.tls.get(p.name));
      const adapter = adapters?.get(p.name)?.(p) ?? createAdapter(p, agents, parts.adapterClasses);
      return new ProviderRuntime(p, adapter, agents, new KeyRing(providerKeys(p)), this.breakers, this.measurements.local);
    };
    this.providers = new Map(loaded.providers.map((p) => [p.name, runtime(p)]));
    const providers = this.providers;
    this.configs = { get: (name) => providers.get(name)?.config };
    const sp = loaded.config.status_pages;
    this.statusPages = new StatusPages(
      new Map(loaded.providers.flatMap((p) => (p.status_page ? [[p.name, p.status_page] as [string, string]] : []))),
      sp.interval_seconds * 1000,
      sp.timeout_ms,
      logger,
    );
    this.statusPages.start();
    this.models = new ModelCatalog(this.providers, logger);
    this.models.start();
    const ev = loaded.config.events;
    this.webhooks = ev.webhooks.length > 0 ? new WebhookSender(this.events, ev, this.metrics.registry, logger) : undefined;
  }

  /**
   * A gateway for `loaded`. With `previous` (a config reload), breaker state, measurements, metrics,
   * sessions and the Redis connection carry over, so providers that remain keep their picture.
   */
  static async create(loaded: LoadedConfig, options: GatewayOptions, previous?: Gateway, runtime?: RuntimeControls): Promise<Gateway> {
    // First, before anything is built: a strategy that does not load refuses the config (start or reload).
    const strategies = await loadConfiguredStrategies(loaded);
    const adapterClasses = await loadAdapters(loaded.providers);
    const clock = options.clock ?? Date.now;
    const controls = runtime ?? previous?.runtime ?? { reload: async () => ({ ok: false as const, error: 'reload is not available here' }) };
    const state = previous ? carryState(previous, previous.config, loaded, options.logger) : await buildState(loaded, options.logger, clock, options.runtimeMetrics ?? true);
    const parts: Parts = { ...state, strategies, adapterClasses, runtime: controls };
    return new Gateway(loaded, parts, options.logger, clock, options.random ?? Math.random, options.adapters);
  }

  /** After a reload: this gateway takes no new requests; its connections go once its last request ends. */
  async retire(): Promise<void> {
    this.webhooks?.detach();
    this.statusPages.stop();
    this.models.stop();
    await this.idle();
    this.agents.destroy();
  }

  enter(): void {
    this.inFlight += 1;
    this.metrics.inFlight.inc();
  }

  leave(): void {
    this.inFlight -= 1;
    this.metrics.inFlight.dec();
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves when nothing is in flight (or at once when nothing is). */
  idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  get config() {
    return this.loaded.config;
  }

  get chain(): readonly string[] {
    return this.loaded.chain;
  }

  /**
   * The routing settings and aliases a request is routed by: the mode it names, else the active mode,
   * else the top level; an ApiError (400 unknown_mode) for a mode the config does not have. Without a
   * request's wish it is the view in force, never an error.
   */
  view(): RoutingView;
  view(requested: string | undefined): RoutingView | ApiError;
  view(requested?: string): RoutingView | ApiError {
    return routingView(this.baseView, this.loaded.modes, this.modes.active, requested);
  }

  private readonly baseView: RoutingView;

  /**
   * The picture strategies order from: in process, no I/O. Provider views are built on first read,
   * so a strategy that ignores them (priority) costs nothing.
   */
  snapshot(now = this.clock()): RoutingSnapshot {
    return new LazySnapshot(now, this.prices, this.random, () => this.providerViews(now));
  }

  private providerViews(now: number): Map<string, ProviderView> {
    const views = new Map<string, ProviderView>();
    for (const [name, p] of this.providers) {
      const s = p.stats;
      if (!s) continue;
      const recent = s.recentOutcomes(now);
      const medians = s.medians(now);
      const requestHeadroom = s.rate.requestHeadroom(now);
      const tokenHeadroom = s.rate.tokenHeadroom(now);
      const exhaustsInS = s.rate.exhaustsInS(now);
      const statusPage = this.statusPages.get(name);
      // Optional fields set one by one: a conditional spread costs an object each, per provider and request.
      const view: ProviderView = { state: this.breakers.state(name), requests: recent.successes + recent.failures, successes: recent.successes, failures: recent.failures, weight: p.config.weight };
      if (statusPage) view.statusPage = statusPage;
      if (medians.p50 !== undefined) view.latencyP50Ms = medians.p50;
      if (medians.ttftP50 !== undefined) view.ttftP50Ms = medians.ttftP50;
      if (medians.p95 !== undefined) view.latencyP95Ms = medians.p95;
      if (medians.ttftP95 !== undefined) view.ttftP95Ms = medians.ttftP95;
      if (requestHeadroom !== undefined) view.requestHeadroom = requestHeadroom;
      if (tokenHeadroom !== undefined) view.tokenHeadroom = tokenHeadroom;
      if (exhaustsInS !== undefined) view.exhaustsInS = exhaustsInS;
      views.set(name, view);
    }
    return views;
  }

  /** Shuts everything down (process exit): flushes shared state. */
  async close(): Promise<void> {
    this.webhooks?.close();
    this.agents.destroy();
    this.statusPages.stop();
    this.models.stop();
    await this.rateLimiter.close();
    await this.budgets.close();
    if (this.shared) await this.shared.close();
    else {
      await this.measurements.close();
      await this.store.close();
    }
  }
}

/**
 * A routing snapshot whose provider views are built when first read. A class rather than an object
 * literal with a getter: V8 builds such a literal through a slow runtime path (about 0.8 KB and a
 * microsecond per request).
 */
class LazySnapshot implements RoutingSnapshot {
  private views: Map<string, ProviderView> | undefined;

  constructor(
    readonly now: number,
    private readonly prices: PriceTable,
    readonly random: () => number,
    private readonly build: () => Map<string, ProviderView>,
  ) {}

  get providers(): ReadonlyMap<string, ProviderView> {
    this.views ??= this.build();
    return this.views;
  }

  price(provider: string, model: string): Price | undefined {
    return this.prices.get(provider, model);
  }
}

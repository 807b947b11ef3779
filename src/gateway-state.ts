import type { LoadedConfig } from './config/load.js';
import { type Config, redisConfigured } from './config/schema.js';
import { GatewayEvents } from './core/events.js';
import { ModeSwitch } from './core/modes.js';
import { SessionAffinity } from './routing/sessions.js';
import { type BudgetStore, LocalBudgets } from './state/budget-store.js';
import { type IdempotencyStore, MemoryIdempotency, RedisIdempotency } from './state/idempotency-store.js';
import { LocalMeasurements, type Measurements } from './state/measurements.js';
import { MemoryStore } from './state/memory-store.js';
import { type Limits, RateLimiter } from './state/rate-limiter.js';
import { RedisBudgets } from './state/redis-budgets.js';
import { RedisRateWindow } from './state/redis-rate-window.js';
import type { SharedState } from './state/shared-state.js';
import type { StateStore } from './state/store.js';
import type { Logger } from './telemetry/logger.js';
import { GatewayMetrics } from './telemetry/metrics.js';
import { PriceTable } from './telemetry/prices.js';

/** What outlives a config reload: breakers, measurements, limits, budgets, sessions, telemetry, events, the mode. */
export interface GatewayState {
  prices: PriceTable;
  metrics: GatewayMetrics;
  store: StateStore;
  measurements: Measurements;
  /** Set when state is shared through Redis. */
  shared?: SharedState;
  sessions: SessionAffinity;
  rateLimiter: RateLimiter;
  budgets: BudgetStore;
  idempotency: IdempotencyStore;
  events: GatewayEvents;
  modes: ModeSwitch;
}

/**
 * The state of a gateway's first start: in process, or shared through Redis when it is configured
 * (ioredis is then loaded; an instance without Redis never carries it).
 *
 * @example
 * const state = await buildState(loaded, logger, Date.now);
 */
export async function buildState(loaded: LoadedConfig, logger: Logger, clock: () => number, runtimeMetrics = true): Promise<GatewayState> {
  const prices = new PriceTable(loaded.providers);
  const metrics = new GatewayMetrics(loaded.chain, runtimeMetrics);
  const sessions = new SessionAffinity(loaded.config.routing.session_ttl_seconds * 1000);
  const events = new GatewayEvents((err, name) => logger.warn({ event: name, err: String(err) }, 'event listener threw'));
  const modes = new ModeSwitch(loaded.config.mode);
  modes.onChange((mode, previous) => {
    metrics.setMode(mode);
    logger.info({ mode: mode ?? null, previous: previous ?? null }, 'routing mode switched');
  });
  metrics.setMode(modes.active);
  const common = { prices, metrics, sessions, events, modes };
  let state: GatewayState;
  if (redisConfigured(loaded.config.redis)) {
    metrics.enableRedisMetrics();
    const { connectSharedState } = await import('./state/shared-state.js');
    const shared = await connectSharedState(loaded, prices, logger, metrics, clock);
    sessions.share(shared.sessions);
    const interval = loaded.config.rate_limits.sync_interval_ms;
    const window = new RedisRateWindow(shared.client, shared.keys, shared.onRedisError);
    window.start(interval);
    const rateLimiter = new RateLimiter(limitsOf(loaded.config), window, true);
    rateLimiter.start(interval);
    const budgets = new RedisBudgets(shared.client, shared.keys, shared.onRedisError);
    budgets.start(1000);
    shared.modes.follow(modes, (name) => loaded.modes.has(name));
    await shared.modes.start(loaded.config.redis.sync_interval_ms);
    const idempotency = new RedisIdempotency(shared.client, shared.keys, shared.onRedisError);
    state = { ...common, store: shared.store, measurements: shared.measurements, shared, rateLimiter, budgets, idempotency };
  } else {
    const rateLimiter = new RateLimiter(limitsOf(loaded.config));
    state = { ...common, store: new MemoryStore(), measurements: new LocalMeasurements(loaded.providers), rateLimiter, budgets: new LocalBudgets(), idempotency: new MemoryIdempotency() };
  }
  watchBreakers(state, logger);
  return state;
}

/**
 * The state a reloaded config takes over from the gateway before it: the same objects, told of the new
 * providers, limits and modes. Redis settings take effect at the next restart.
 *
 * @example
 * const state = carryState(previous, previous.config, loaded, logger);
 */
export function carryState(previous: GatewayState, previousConfig: Config, loaded: LoadedConfig, logger: Logger): GatewayState {
  const { modes, shared } = previous;
  // A mode the file now names, or one the file no longer has, gives way to the file's `mode`.
  if (loaded.config.mode !== previousConfig.mode || (modes.active !== undefined && !loaded.modes.has(modes.active))) modes.set(loaded.config.mode);
  previous.rateLimiter.limits = limitsOf(loaded.config);
  previous.prices.load(loaded.providers);
  previous.metrics.addProviders(loaded.chain);
  previous.measurements.addProviders(loaded.providers);
  shared?.setProviders(loaded.providers);
  shared?.modes.follow(modes, (name) => loaded.modes.has(name));
  if (JSON.stringify(previousConfig.redis) !== JSON.stringify(loaded.config.redis)) logger.warn('redis settings changed: they take effect at the next restart');
  const { prices, metrics, store, measurements, sessions, rateLimiter, budgets, idempotency, events } = previous;
  return { prices, metrics, store, measurements, ...(shared ? { shared } : {}), sessions, rateLimiter, budgets, idempotency, events, modes };
}

/** The configured default rate limits. */
function limitsOf(config: Config): Limits {
  const r = config.rate_limits;
  return { ...(r.requests_per_minute ? { requestsPerMinute: r.requests_per_minute } : {}), ...(r.tokens_per_minute ? { tokensPerMinute: r.tokens_per_minute } : {}) };
}

/** Breaker transitions become metrics, log lines and events, once per store. */
function watchBreakers(state: GatewayState, logger: Logger): void {
  const { store, metrics, events } = state;
  store.onBreakerChange((provider, next, previous) => {
    if (next.state === previous.state) return;
    metrics.setCircuitState(provider, next.state);
    metrics.circuitTransitions.labels(provider, next.state).inc();
    const log = next.state === 'open' ? logger.warn.bind(logger) : logger.info.bind(logger);
    log({ provider, from: previous.state, to: next.state, failures: next.failures }, 'circuit breaker transition');
    if (events.listens('breaker')) events.emit('breaker', { provider, from: previous.state, to: next.state });
  });
}

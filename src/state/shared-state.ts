import { randomUUID } from 'node:crypto';
import type { LoadedConfig } from '../config/load.js';
import type { Logger } from '../telemetry/logger.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import type { PriceTable } from '../telemetry/prices.js';
import { RedisKeys } from './keys.js';
import type { Measurements } from './measurements.js';
import { createRedisClients, type RedisClient, waitReady } from './redis-connection.js';
import { RedisMeasurements } from './redis-measurements.js';
import { RedisModes } from './redis-modes.js';
import { RedisSessions } from './redis-sessions.js';
import { RedisStore } from './redis-store.js';
import type { StateStore } from './store.js';

export interface SharedState {
  store: StateStore;
  client: RedisClient;
  keys: RedisKeys;
  onRedisError(op: string, err: unknown): void;
  measurements: Measurements;
  /** Session pins, written through to Redis. */
  sessions: RedisSessions;
  /** The fleet's active mode. */
  modes: RedisModes;
  instanceId: string;
  /** After a config reload. */
  setProviders(providers: LoadedConfig['providers']): void;
  /** Flushes pending measurements now (tests, shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * State shared by every instance on one Redis. Start-up waits at most two seconds for Redis: an
 * unreachable Redis means local state with a warning, and the instance joins in when Redis appears.
 */
export async function connectSharedState(loaded: LoadedConfig, prices: PriceTable, logger: Logger, metrics: GatewayMetrics, clock: () => number): Promise<SharedState> {
  const cfg = loaded.config.redis;
  const instanceId = randomUUID();
  const keys = new RedisKeys(cfg.key_prefix);
  const { client, subscriber } = createRedisClients(cfg, logger);
  let healthy = false;
  const onRedisError = (op: string, err: unknown) => {
    metrics.redisErrors.labels(op).inc();
    if (healthy || op === 'start') logger.warn({ op, err: (err as Error)?.message }, 'redis unavailable: serving from local state until it returns');
    healthy = false;
    metrics.redisUp.set(0);
  };
  const names = loaded.providers.map((p) => p.name);
  const leaseMs = Math.max(...loaded.providers.map((p) => p.timeout_ms), 1000) + 1000;
  const cb = loaded.config.circuit_breaker;
  const store = new RedisStore(client, subscriber, keys, names, { failureThreshold: cb.failure_threshold, cooldownMs: cb.cooldown_seconds * 1000 }, leaseMs, instanceId, logger, clock, onRedisError);
  const modes = new RedisModes(client, subscriber, keys, onRedisError);
  const measurements = new RedisMeasurements(client, keys, loaded.providers, prices, instanceId, onRedisError, (ms) => metrics.redisFlush.observe(ms / 1000));

  client.on('ready', () => {
    if (!healthy) logger.info({ instanceId }, 'redis connected: sharing breakers and measurements');
    healthy = true;
    metrics.redisUp.set(1);
    void store.sync();
    void measurements.flush();
    void modes.read();
  });
  client.on('close', () => {
    if (healthy) onRedisError('connection', new Error('connection closed'));
  });

  if (!(await waitReady(client, 2000))) onRedisError('start', new Error('not reachable within 2 s'));
  await store.start(cfg.sync_interval_ms);
  await measurements.start(cfg.flush_interval_ms);
  return {
    modes,
    store,
    client,
    keys,
    onRedisError,
    measurements,
    sessions: new RedisSessions(client, keys, onRedisError),
    instanceId,
    flush: () => measurements.flush(),
    setProviders(providers) {
      store.setProviders(providers.map((p) => p.name));
      measurements.addProviders(providers);
    },
    async close() {
      modes.stop();
      await measurements.close();
      await store.close();
      client.disconnect();
      subscriber.disconnect();
    },
  };
}

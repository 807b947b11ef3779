import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Config } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';

export type RedisClient = Redis | Cluster;

export interface RedisHealth {
  up: boolean;
  onUp(listener: () => void): void;
}

const hostPort = (s: string) => {
  const i = s.lastIndexOf(':');
  return { host: s.slice(0, i), port: Number(s.slice(i + 1)) };
};

/**
 * One client for commands and one for pub/sub, standalone (url), Sentinel or Cluster. Commands never
 * queue while disconnected (enableOfflineQueue: false): a caller gets an error at once and keeps its
 * data for the next try, so nothing waits on Redis and nothing piles up inside the client.
 */
export function createRedisClients(cfg: Config['redis'], logger: Logger): { client: RedisClient; subscriber: RedisClient } {
  const common: RedisOptions = {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(100 * times, 1000),
    ...(cfg.password ? { password: cfg.password } : {}),
  };
  const make = (offlineQueue: boolean): RedisClient => {
    // The pub/sub connection skips the INFO ready check: a SUBSCRIBE queued while connecting must not
    // meet it (Redis refuses INFO on a subscribed connection and the subscription was silently lost).
    const opts: RedisOptions = { ...common, enableOfflineQueue: offlineQueue, ...(offlineQueue ? { enableReadyCheck: false } : {}) };
    if (cfg.cluster?.length) {
      return new Cluster(cfg.cluster.map(hostPort), {
        redisOptions: opts,
        enableOfflineQueue: offlineQueue,
        enableAutoPipelining: true,
        clusterRetryStrategy: (t) => Math.min(100 * t, 1000),
      });
    }
    if (cfg.sentinels?.length) return new Redis({ ...opts, sentinels: cfg.sentinels.map(hostPort), name: cfg.sentinel_name ?? 'mymaster' });
    return new Redis(cfg.url!, opts);
  };
  const client = make(false);
  const subscriber = make(true);
  for (const [name, c] of [
    ['commands', client],
    ['pubsub', subscriber],
  ] as const) {
    // Without a listener ioredis prints every connection error; the owner of the connection logs state changes.
    c.on('error', (err: Error) => logger.debug({ connection: name, err: err.message }, 'redis error'));
  }
  return { client, subscriber };
}

/** Resolves once the client is ready, or after `ms` (start-up never blocks on an unreachable Redis). */
export function waitReady(client: RedisClient, ms: number): Promise<boolean> {
  if (client.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      client.off('ready', onReady);
      resolve(false);
    }, ms);
    const onReady = () => {
      clearTimeout(t);
      resolve(true);
    };
    client.once('ready', onReady);
  });
}

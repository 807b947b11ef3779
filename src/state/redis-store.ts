import type { BreakerSettings, BreakerSnapshot, CircuitState } from '../routing/circuit-breaker.js';
import type { Logger } from '../telemetry/logger.js';
import type { RedisKeys } from './keys.js';
import { MemoryStore } from './memory-store.js';
import { Batch } from './redis-batch.js';
import type { RedisClient } from './redis-connection.js';
import type { StateStore } from './store.js';

/** Atomic write-and-publish of one transition; an older write (by `at`) never overwrites a newer one. */
const WRITE_TRANSITION = `
local at = redis.call('HGET', KEYS[1], 'at')
if at and tonumber(at) > tonumber(ARGV[5]) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'failures', ARGV[2], 'openedAt', ARGV[3], 'origin', ARGV[4], 'at', ARGV[5])
if ARGV[1] == 'closed' then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1`;

/** Gives up the probe lease, if this instance (ARGV[1]) still holds it. */
const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

interface Transition {
  provider: string;
  state: CircuitState;
  failures: number;
  openedAt: number;
  origin: string;
  at: number;
}

/** How early, before a cooldown ends, instances race for the probe lease. */
const LEASE_LEAD_MS = 150;

/**
 * Breakers shared through Redis. Reads and the request path stay in process (a MemoryStore); every
 * transition this instance makes (open, close, re-open, reset) is written atomically and published, and
 * other instances apply it as it arrives, with a periodic full read to catch what pub/sub missed.
 * Consecutive failures are counted per instance. When a cooldown ends, instances race for a probe lease
 * (SET NX PX): the winner lets one request through as the probe; the others stay open until it reports
 * or the lease runs out. The winner gives the lease up as soon as its probe ends, however it ends, so the
 * next cooldown's race is won on time. With Redis unreachable each instance falls back to its own breakers.
 */
export class RedisStore implements StateStore {
  private readonly local = new MemoryStore();
  private readonly lastAt = new Map<string, number>();
  private readonly leaseTimers = new Map<string, NodeJS.Timeout>();
  private applyingRemote = false;
  private adjusting = false;
  private syncTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly client: RedisClient,
    private readonly subscriber: RedisClient,
    private readonly keys: RedisKeys,
    private providers: readonly string[],
    private readonly settings: BreakerSettings,
    /** Longest a probe may take: the lease lasts this long. */
    private readonly leaseMs: number,
    readonly instanceId: string,
    private readonly logger: Logger,
    private readonly clock: () => number,
    private readonly onRedisError: (op: string, err: unknown) => void,
  ) {
    this.local.onBreakerChange((provider, next, previous) => {
      if (this.adjusting) return; // this store's own lease holds, not transitions
      if (!this.applyingRemote) {
        const shared = next.state !== 'half_open' && (next.state !== previous.state || next.openedAt !== previous.openedAt);
        if (shared) void this.publish({ provider, state: next.state, failures: next.failures, openedAt: next.openedAt, origin: this.instanceId, at: this.clock() });
      }
      if (next.state === 'open') this.holdForLease(provider, next.openedAt);
    });
  }

  async start(syncIntervalMs: number): Promise<void> {
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.keys.breakerChannel) this.onMessage(message);
    });
    const subscribe = () => this.subscriber.subscribe(this.keys.breakerChannel).catch((err: unknown) => this.onRedisError('subscribe', err));
    await subscribe();
    // ioredis re-subscribes after a reconnect; this covers a subscription that failed outright.
    this.subscriber.on('ready', () => {
      if (!this.closed) void subscribe();
    });
    await this.sync();
    this.syncTimer = setInterval(() => void this.sync(), syncIntervalMs);
    this.syncTimer.unref();
  }

  /** After a config reload: the providers whose shared breakers this instance follows. */
  setProviders(names: readonly string[]): void {
    this.providers = names;
    void this.sync();
  }

  getBreaker(provider: string): BreakerSnapshot {
    return this.local.getBreaker(provider);
  }

  updateBreaker(provider: string, update: (s: BreakerSnapshot) => BreakerSnapshot): BreakerSnapshot {
    return this.local.updateBreaker(provider, update);
  }

  onBreakerChange(listener: (provider: string, next: BreakerSnapshot, previous: BreakerSnapshot) => void): void {
    // Lease holds are this store's bookkeeping, not transitions: observers (metrics, logs) do not see them.
    this.local.onBreakerChange((provider, next, previous) => {
      if (!this.adjusting) listener(provider, next, previous);
    });
  }

  probeEnded(provider: string): void {
    // Without this the lease (as long as the slowest attempt) outlived a short cooldown, and the probe
    // after a failed one waited for it to run out: a cooldown plus a whole lease between probes.
    void this.releaseLease(provider);
    const s = this.local.getBreaker(provider);
    // A probe that told nothing (neutral) frees the half-open slot; across instances the next probe
    // needs the lease again, so race for it at once (the cooldown is already over).
    if (s.state === 'half_open' && !s.probeInFlight) this.holdForLease(provider, s.openedAt);
  }

  private async releaseLease(provider: string): Promise<void> {
    try {
      await this.client.eval(RELEASE_LEASE, 1, this.keys.probe(provider), this.instanceId);
    } catch (err) {
      this.onRedisError('probe lease', err);
    }
  }

  /** Reads every provider's shared breaker and applies what is newer than what this instance knows. */
  async sync(): Promise<void> {
    if (this.closed) return;
    try {
      const pipeline = new Batch(this.client);
      for (const p of this.providers) pipeline.hgetall(this.keys.breaker(p));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
      results.forEach(([err, value], i) => {
        const h = value as Record<string, string> | null;
        if (err || !h || !h.state) return;
        this.apply({ provider: this.providers[i]!, state: h.state as CircuitState, failures: Number(h.failures), openedAt: Number(h.openedAt), origin: h.origin ?? '', at: Number(h.at) });
      });
    } catch (err) {
      this.onRedisError('sync', err);
    }
  }

  private onMessage(message: string): void {
    let t: Transition;
    try {
      t = JSON.parse(message) as Transition;
    } catch {
      return;
    }
    if (t.origin === this.instanceId || !this.providers.includes(t.provider)) return;
    this.apply(t);
  }

  private apply(t: Transition): void {
    if (t.at <= (this.lastAt.get(t.provider) ?? 0)) return;
    this.lastAt.set(t.provider, t.at);
    if (t.origin === this.instanceId) return;
    const next: BreakerSnapshot = { state: t.state, failures: t.failures, openedAt: t.openedAt, probeInFlight: false };
    this.applyingRemote = true;
    try {
      this.local.updateBreaker(t.provider, (s) => (s.state === next.state && s.openedAt === next.openedAt ? s : next));
    } finally {
      this.applyingRemote = false;
    }
  }

  private async publish(t: Transition): Promise<void> {
    this.lastAt.set(t.provider, t.at);
    try {
      await this.client.eval(
        WRITE_TRANSITION,
        2,
        this.keys.breaker(t.provider),
        this.keys.probe(t.provider),
        t.state,
        String(t.failures),
        String(t.openedAt),
        t.origin,
        String(t.at),
        this.keys.breakerChannel,
        JSON.stringify(t),
      );
    } catch (err) {
      this.onRedisError('breaker write', err);
    }
  }

  /**
   * An open breaker (or a half-open one whose probe slot is free) is held locally for one lease longer
   * than its cooldown, so that no instance probes before it has won the lease; shortly before the real
   * cooldown ends (at once, when it already has) the instances race for it.
   */
  private holdForLease(provider: string, realOpenedAt: number): void {
    const waiting = (s: BreakerSnapshot) => s.state === 'open' || (s.state === 'half_open' && !s.probeInFlight);
    this.adjust(provider, (s) => (waiting(s) && s.openedAt === realOpenedAt ? { ...s, state: 'open', openedAt: realOpenedAt + this.leaseMs } : s));
    this.schedule(provider, realOpenedAt + this.settings.cooldownMs - LEASE_LEAD_MS, () => this.tryLease(provider, realOpenedAt));
  }

  private async tryLease(provider: string, realOpenedAt: number): Promise<void> {
    const held = realOpenedAt + this.leaseMs;
    const s = this.local.getBreaker(provider);
    if (this.closed || s.state !== 'open' || s.openedAt !== held) return;
    let won: boolean;
    try {
      won = (await this.client.set(this.keys.probe(provider), this.instanceId, 'PX', this.leaseMs, 'NX')) === 'OK';
    } catch (err) {
      this.onRedisError('probe lease', err);
      won = true; // Redis unreachable: this instance probes on its own
    }
    if (!won) {
      // Another instance probes. Stay open; if it never reports, race again when its lease has run out
      // (counted from now, not from the opening: after a neutral probe the opening may be long past).
      this.schedule(provider, this.clock() + this.leaseMs, () => this.holdForLease(provider, held));
      return;
    }
    this.logger.debug({ provider }, 'probe lease granted to this instance');
    this.adjust(provider, (cur) => (cur.state === 'open' && cur.openedAt === held ? { ...cur, openedAt: realOpenedAt } : cur));
    // No request came to probe while the lease lasted: hand the chance to whichever instance gets traffic
    // (the others race as the lease runs out; this one a little later).
    this.schedule(provider, this.clock() + this.leaseMs + LEASE_LEAD_MS, () => {
      const cur = this.local.getBreaker(provider);
      if (cur.state === 'open' && cur.openedAt === realOpenedAt) this.holdForLease(provider, realOpenedAt);
    });
  }

  private schedule(provider: string, at: number, run: () => void | Promise<void>): void {
    clearTimeout(this.leaseTimers.get(provider));
    const timer = setTimeout(() => void run(), Math.max(0, at - this.clock()));
    timer.unref();
    this.leaseTimers.set(provider, timer);
  }

  /** A local-only change (a lease hold): not a transition, not published. */
  private adjust(provider: string, update: (s: BreakerSnapshot) => BreakerSnapshot): void {
    this.adjusting = true;
    try {
      this.local.updateBreaker(provider, update);
    } finally {
      this.adjusting = false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.syncTimer);
    for (const t of this.leaseTimers.values()) clearTimeout(t);
  }
}

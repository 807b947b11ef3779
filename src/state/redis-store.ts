import { type BreakerSettings, type BreakerSnapshot, type CircuitState, CLOSED } from '../routing/circuit-breaker.js';
import type { Logger } from '../telemetry/logger.js';
import { COUNT_FAILURE, fleetChange, parseBreakerMessage, RELEASE_LEASE, type Transition, WRITE_TRANSITION } from './breaker-sharing.js';
import type { RedisKeys } from './keys.js';
import { MemoryStore } from './memory-store.js';
import { Batch } from './redis-batch.js';
import type { RedisClient } from './redis-connection.js';
import type { StateStore } from './store.js';

/** How early, before a cooldown ends, instances race for the probe lease. */
const LEASE_LEAD_MS = 150;

/**
 * Breakers shared through Redis. Reads and the request path stay in process (a MemoryStore); every
 * transition this instance makes (open, close, re-open, reset) is written atomically and published, and
 * other instances apply it as it arrives, with a periodic full read to catch what pub/sub missed.
 * Consecutive failures are counted fleet-wide: a failure while closed is counted in Redis by one script
 * (fire and forget), which opens the breaker at the threshold; every count is published, so each
 * instance knows the run, and only an instance that knows of a run writes when a success resets it (a
 * healthy provider's successes never touch Redis). When a cooldown ends, instances race for a probe lease
 * (SET NX PX): the winner lets one request through as the probe; the others stay open until it reports
 * or the lease runs out. The winner gives the lease up as soon as its probe ends, however it ends, so the
 * next cooldown's race is won on time. With Redis unreachable each instance falls back to its own breakers.
 */
export class RedisStore implements StateStore {
  private readonly local = new MemoryStore();
  private readonly lastAt = new Map<string, number>();
  /** Changes heard per provider (messages, and this instance's own): a sync read that overlapped one is stale for it. */
  private readonly heard = new Map<string, number>();
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
        this.touch(provider);
        const change = fleetChange(previous, next);
        if (change === 'failure') void this.countFailure(provider, next.state === 'open' ? next.openedAt : this.clock());
        if (change === 'transition') void this.publish({ provider, state: next.state, failures: next.failures, openedAt: next.openedAt, origin: this.instanceId, at: this.clock() });
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
      const providers = this.providers;
      const heardBefore = providers.map((p) => this.heard.get(p) ?? 0);
      for (const p of providers) pipeline.hgetall(this.keys.breaker(p));
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
      results.forEach(([err, value], i) => {
        const h = value as Record<string, string> | null;
        if (err || !h || !h.state) return;
        const provider = providers[i]!;
        // A message or a change of this instance's own arrived while the read was out: it is newer.
        if ((this.heard.get(provider) ?? 0) !== heardBefore[i]) return;
        if (h.at !== undefined)
          this.apply({ provider, state: h.state as CircuitState, failures: Number(h.failures ?? 0), openedAt: Number(h.openedAt ?? 0), origin: h.origin ?? '', at: Number(h.at) });
        if (h.state === 'closed') this.knowFailures(provider, Number(h.failures ?? 0));
      });
    } catch (err) {
      this.onRedisError('sync', err);
    }
  }

  private onMessage(message: string): void {
    const m = parseBreakerMessage(message);
    if (!m) return;
    const { provider, origin } = m.kind === 'transition' ? m.t : m.f;
    if (origin === this.instanceId || !this.providers.includes(provider)) return;
    this.touch(provider);
    if (m.kind === 'transition') this.apply(m.t);
    else this.knowFailures(provider, m.f.failures);
  }

  /** `own`: the shared state as this instance's own script returned it (it may have opened the breaker). */
  private apply(t: Transition, own = false): void {
    if (t.at <= (this.lastAt.get(t.provider) ?? 0)) return;
    this.lastAt.set(t.provider, t.at);
    if (t.origin === this.instanceId && !own) return;
    const next: BreakerSnapshot = { state: t.state, failures: t.failures, openedAt: t.openedAt, probeInFlight: false };
    // An opening already applied here may be held for the probe lease (openedAt moved by one lease).
    const sameOpening = (s: BreakerSnapshot) => s.openedAt === next.openedAt || (s.state === 'open' && next.state === 'open' && s.openedAt === next.openedAt + this.leaseMs);
    const same = (s: BreakerSnapshot) => s.state === next.state && sameOpening(s) && (s.state !== 'closed' || s.failures === next.failures);
    this.remote(t.provider, (s) => (same(s) ? s : next));
  }

  private touch(provider: string): void {
    this.heard.set(provider, (this.heard.get(provider) ?? 0) + 1);
  }

  /** The fleet's run of failures as last heard (a closed breaker only): what a success has to reset. */
  private knowFailures(provider: string, failures: number): void {
    if (!Number.isFinite(failures)) return;
    this.remote(provider, (s) => (s.state === 'closed' && s.failures !== failures ? { ...s, failures } : s));
  }

  /** A change learnt from Redis: applied locally, not written back. */
  private remote(provider: string, update: (s: BreakerSnapshot) => BreakerSnapshot): void {
    this.applyingRemote = true;
    try {
      this.local.updateBreaker(provider, update);
    } finally {
      this.applyingRemote = false;
    }
  }

  /** Counts a failure in Redis; the reply (the fleet's count, or the breaker it opened) is applied here. */
  private async countFailure(provider: string, now: number): Promise<void> {
    let reply: unknown;
    try {
      reply = await this.client.eval(COUNT_FAILURE, 1, this.keys.breaker(provider), String(this.settings.failureThreshold), String(now), this.instanceId, this.keys.breakerChannel, provider);
    } catch (err) {
      this.onRedisError('breaker write', err);
      return; // Redis unreachable: the local count (and any opening it made) stands
    }
    if (this.closed || !Array.isArray(reply)) return;
    const [state, failures, openedAt, at, origin] = (reply as unknown[]).map(String);
    if (state === 'closed') {
      // Below the fleet's threshold: an opening this failure made here (on a count that missed a reset) is undone.
      const mine = (s: BreakerSnapshot) => s.state === 'open' && (s.openedAt === now || s.openedAt === now + this.leaseMs);
      this.remote(provider, (s) => (mine(s) ? { ...CLOSED, failures: Number(failures) } : s));
      this.knowFailures(provider, Number(failures));
    } else this.apply({ provider, state: state as CircuitState, failures: Number(failures), openedAt: Number(openedAt), origin: origin ?? '', at: Number(at) }, true);
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

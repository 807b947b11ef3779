import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/** An answer kept for replay: what the client got, byte for byte (streams as their SSE text). */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Hash of the request body: a key reused for another request is refused, not replayed. */
  fingerprint: string;
}

export type Begin = { kind: 'new' } | { kind: 'stored'; answer: StoredAnswer } | { kind: 'busy' };

/** Serve-once bookkeeping for Idempotency-Key: in process, or shared through Redis. */
export interface IdempotencyStore {
  /** The stored answer, or the lock for this request, or `busy` when another request holds it. */
  begin(scope: string, key: string, lockMs: number): Promise<Begin>;
  /** Waits (up to `ms`) for the holder to store its answer; undefined when it gave up without one. */
  wait(scope: string, key: string, ms: number): Promise<StoredAnswer | undefined>;
  complete(scope: string, key: string, answer: StoredAnswer, ttlMs: number): Promise<void>;
  /** Releases the lock without an answer (the request failed upstream: a retry may try again). */
  abandon(scope: string, key: string): Promise<void>;
}

export class MemoryIdempotency implements IdempotencyStore {
  private readonly answers = new Map<string, { answer: StoredAnswer; until: number }>();
  private readonly locks = new Map<string, { until: number; waiters: Array<(a: StoredAnswer | undefined) => void> }>();

  async begin(scope: string, key: string, lockMs: number): Promise<Begin> {
    const id = `${scope}\0${key}`;
    const now = Date.now();
    const stored = this.answers.get(id);
    if (stored && stored.until > now) return { kind: 'stored', answer: stored.answer };
    if (stored) this.answers.delete(id);
    const lock = this.locks.get(id);
    if (lock && lock.until > now) return { kind: 'busy' };
    this.locks.set(id, { until: now + lockMs, waiters: lock?.waiters ?? [] });
    this.prune(now);
    return { kind: 'new' };
  }

  wait(scope: string, key: string, ms: number): Promise<StoredAnswer | undefined> {
    const id = `${scope}\0${key}`;
    const stored = this.answers.get(id);
    if (stored) return Promise.resolve(stored.answer);
    const lock = this.locks.get(id);
    if (!lock) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(undefined), ms);
      lock.waiters.push((a) => {
        clearTimeout(t);
        resolve(a);
      });
    });
  }

  async complete(scope: string, key: string, answer: StoredAnswer, ttlMs: number): Promise<void> {
    const id = `${scope}\0${key}`;
    this.answers.set(id, { answer, until: Date.now() + ttlMs });
    this.release(id, answer);
  }

  async abandon(scope: string, key: string): Promise<void> {
    this.release(`${scope}\0${key}`, undefined);
  }

  private release(id: string, answer: StoredAnswer | undefined): void {
    const lock = this.locks.get(id);
    this.locks.delete(id);
    for (const w of lock?.waiters ?? []) w(answer);
  }

  private prune(now: number): void {
    if (this.answers.size < 10_000) return;
    for (const [id, a] of this.answers) if (a.until <= now) this.answers.delete(id);
  }
}

const POLL_MS = 25;

/**
 * Shared through Redis: the answer under one key, the lock under another (SET NX PX), so a duplicate
 * sent to any instance waits for the first. Only requests that carry an Idempotency-Key touch Redis.
 * With Redis unreachable it falls back to this instance's own memory.
 */
export class RedisIdempotency implements IdempotencyStore {
  private readonly fallback = new MemoryIdempotency();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly onError: (op: string, err: unknown) => void,
  ) {}

  async begin(scope: string, key: string, lockMs: number): Promise<Begin> {
    try {
      const stored = await this.client.get(this.keys.idempotency(scope, key));
      if (stored) return { kind: 'stored', answer: JSON.parse(stored) as StoredAnswer };
      const locked = await this.client.set(this.keys.idempotencyLock(scope, key), '1', 'PX', lockMs, 'NX');
      return locked === 'OK' ? { kind: 'new' } : { kind: 'busy' };
    } catch (err) {
      this.onError('idempotency', err);
      return this.fallback.begin(scope, key, lockMs);
    }
  }

  async wait(scope: string, key: string, ms: number): Promise<StoredAnswer | undefined> {
    const until = Date.now() + ms;
    try {
      while (Date.now() < until) {
        const [[, stored], [, lock]] = ((await this.client.pipeline().get(this.keys.idempotency(scope, key)).exists(this.keys.idempotencyLock(scope, key)).exec()) ?? []) as [[unknown, string | null], [unknown, number]];
        if (stored) return JSON.parse(stored) as StoredAnswer;
        if (!lock) return undefined;
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    } catch (err) {
      this.onError('idempotency', err);
      return this.fallback.wait(scope, key, Math.max(0, until - Date.now()));
    }
    return undefined;
  }

  async complete(scope: string, key: string, answer: StoredAnswer, ttlMs: number): Promise<void> {
    try {
      await this.client.pipeline().set(this.keys.idempotency(scope, key), JSON.stringify(answer), 'PX', ttlMs).del(this.keys.idempotencyLock(scope, key)).exec();
    } catch (err) {
      this.onError('idempotency', err);
      await this.fallback.complete(scope, key, answer, ttlMs);
    }
  }

  async abandon(scope: string, key: string): Promise<void> {
    await this.client.del(this.keys.idempotencyLock(scope, key)).catch((err: unknown) => this.onError('idempotency', err));
    await this.fallback.abandon(scope, key);
  }
}

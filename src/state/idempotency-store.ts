import { randomUUID } from 'node:crypto';
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

/** `new`: this request now holds the key's lock, under `token`, and must end in `complete` or `abandon`. */
export type Begin = { kind: 'new'; token: string } | { kind: 'stored'; answer: StoredAnswer } | { kind: 'busy' };

/**
 * Serve-once bookkeeping for Idempotency-Key: in process, or shared through Redis. `begin` is one atomic
 * step (look up the answer, else take the lock), so of any number of concurrent duplicates exactly one
 * gets `new`; the others wait for the lock to go and `begin` again, finding the answer or, when the holder
 * abandoned, one of them taking the lock over.
 */
export interface IdempotencyStore {
  /** The stored answer, else the lock for this request (held `lockMs`), else `busy`. Atomic. */
  begin(scope: string, key: string, lockMs: number): Promise<Begin>;
  /** Resolves once the lock is gone (answer stored, abandoned or expired), or after `ms` at the latest. */
  wait(scope: string, key: string, ms: number): Promise<void>;
  /** Keeps a held lock for another `lockMs` (a long stream outlasts the first grant). */
  renew(scope: string, key: string, token: string, lockMs: number): Promise<void>;
  /** Stores the answer (the first one stored wins) and releases the lock. */
  complete(scope: string, key: string, token: string, answer: StoredAnswer, ttlMs: number): Promise<void>;
  /** Releases the lock without an answer (the request failed upstream: a retry may try again). */
  abandon(scope: string, key: string, token: string): Promise<void>;
}

interface Lock {
  token: string;
  until: number;
  /** Woken when the lock goes (or an answer is stored). */
  waiters: Set<() => void>;
}

/** In process: every step is synchronous, hence atomic within this instance. */
export class MemoryIdempotency implements IdempotencyStore {
  private readonly answers = new Map<string, { answer: StoredAnswer; until: number }>();
  private readonly locks = new Map<string, Lock>();

  async begin(scope: string, key: string, lockMs: number): Promise<Begin> {
    const id = `${scope}\0${key}`;
    const now = Date.now();
    const stored = this.answers.get(id);
    if (stored && stored.until > now) return { kind: 'stored', answer: stored.answer };
    if (stored) this.answers.delete(id);
    const lock = this.locks.get(id);
    if (lock && lock.until > now) return { kind: 'busy' };
    const token = randomUUID();
    // Taking over an expired lock keeps its waiters: they are woken when this holder lets go.
    this.locks.set(id, { token, until: now + lockMs, waiters: lock?.waiters ?? new Set() });
    this.prune(now);
    return { kind: 'new', token };
  }

  wait(scope: string, key: string, ms: number): Promise<void> {
    const id = `${scope}\0${key}`;
    const lock = this.locks.get(id);
    if (!lock || this.answers.has(id)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        lock.waiters.delete(done);
        resolve();
      };
      // Also at the lock's expiry, so that a waiter may take over from a holder that never let go.
      const timer = setTimeout(done, Math.max(0, Math.min(ms, lock.until - Date.now())));
      lock.waiters.add(done);
    });
  }

  async renew(scope: string, key: string, token: string, lockMs: number): Promise<void> {
    const lock = this.locks.get(`${scope}\0${key}`);
    if (lock?.token === token) lock.until = Date.now() + lockMs;
  }

  async complete(scope: string, key: string, token: string, answer: StoredAnswer, ttlMs: number): Promise<void> {
    const id = `${scope}\0${key}`;
    if (!this.answers.has(id)) this.answers.set(id, { answer, until: Date.now() + ttlMs });
    this.release(id, token, true);
  }

  async abandon(scope: string, key: string, token: string): Promise<void> {
    this.release(`${scope}\0${key}`, token, false);
  }

  /** Drops the lock if `token` holds it; wakes its waiters then, or whenever an answer is now stored. */
  private release(id: string, token: string, answered: boolean): void {
    const lock = this.locks.get(id);
    if (!lock) return;
    const owned = lock.token === token;
    if (owned) this.locks.delete(id);
    if (owned || answered) for (const wake of [...lock.waiters]) wake();
  }

  private prune(now: number): void {
    if (this.answers.size < 10_000) return;
    for (const [id, a] of this.answers) if (a.until <= now) this.answers.delete(id);
  }
}

/** KEYS: answer, lock. ARGV: token, lock ms. Returns {'stored', json} | {'new'} | {'busy'}. */
const BEGIN = `
local stored = redis.call('GET', KEYS[1])
if stored then return {'stored', stored} end
if redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2], 'NX') then return {'new'} end
return {'busy'}`;

/** KEYS: answer, lock. ARGV: token, answer json, ttl ms. The first answer stored wins. */
const COMPLETE = `
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3], 'NX')
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1`;

/** KEYS: lock. ARGV: token. */
const ABANDON = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** KEYS: lock. ARGV: token, lock ms. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

/** A waiter's polls of the lock: soon at first (most answers are quick), then less often. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Shared through Redis: the answer under one key, the lock (holding its holder's token) under another
 * in the same Cluster slot; look-up and lock are one Lua script, so a duplicate sent to any instance at
 * any moment either finds the answer, or takes the lock, or waits for it. Only requests that carry an
 * Idempotency-Key touch Redis. With Redis unreachable it falls back to this instance's own memory.
 */
export class RedisIdempotency implements IdempotencyStore {
  private readonly fallback = new MemoryIdempotency();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly onError: (op: string, err: unknown) => void,
  ) {}

  async begin(scope: string, key: string, lockMs: number): Promise<Begin> {
    const token = randomUUID();
    try {
      const reply = await this.client.eval(BEGIN, 2, this.keys.idempotency(scope, key), this.keys.idempotencyLock(scope, key), token, String(lockMs));
      const [kind, stored] = Array.isArray(reply) ? (reply as unknown[]) : [];
      if (kind === 'stored' && typeof stored === 'string') return { kind: 'stored', answer: JSON.parse(stored) as StoredAnswer };
      return kind === 'new' ? { kind: 'new', token } : { kind: 'busy' };
    } catch (err) {
      this.onError('idempotency', err);
      return this.fallback.begin(scope, key, lockMs);
    }
  }

  async wait(scope: string, key: string, ms: number): Promise<void> {
    const until = Date.now() + ms;
    const lockKey = this.keys.idempotencyLock(scope, key);
    try {
      for (let poll = FIRST_POLL_MS; Date.now() < until; poll = Math.min(poll * 2, MAX_POLL_MS)) {
        if (!(await this.client.exists(lockKey))) return;
        await pause(Math.min(poll, Math.max(0, until - Date.now())));
      }
    } catch (err) {
      this.onError('idempotency', err);
      await pause(MAX_POLL_MS); // the caller begins again; no tight loop while Redis is away
    }
  }

  async renew(scope: string, key: string, token: string, lockMs: number): Promise<void> {
    try {
      await this.client.eval(RENEW, 1, this.keys.idempotencyLock(scope, key), token, String(lockMs));
    } catch (err) {
      this.onError('idempotency', err);
    }
    await this.fallback.renew(scope, key, token, lockMs);
  }

  async complete(scope: string, key: string, token: string, answer: StoredAnswer, ttlMs: number): Promise<void> {
    try {
      await this.client.eval(COMPLETE, 2, this.keys.idempotency(scope, key), this.keys.idempotencyLock(scope, key), token, JSON.stringify(answer), String(ttlMs));
      await this.fallback.abandon(scope, key, token); // a lock taken here while Redis was away
    } catch (err) {
      this.onError('idempotency', err);
      await this.fallback.complete(scope, key, token, answer, ttlMs);
    }
  }

  async abandon(scope: string, key: string, token: string): Promise<void> {
    try {
      await this.client.eval(ABANDON, 1, this.keys.idempotencyLock(scope, key), token);
    } catch (err) {
      this.onError('idempotency', err);
    }
    await this.fallback.abandon(scope, key, token);
  }
}

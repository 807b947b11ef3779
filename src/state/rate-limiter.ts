import type { RedisKeys } from './keys.js';
import { Batch } from './redis-batch.js';
import type { RedisClient } from './redis-connection.js';

const SLICE_MS = 5_000;
const WINDOW_MS = 60_000;

interface Slices {
  /** slice start -> [requests, tokens] */
  remote: Map<number, [number, number]>;
  pending: Map<number, [number, number]>;
  lastUsed: number;
}

export interface Limits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export type Admission = { ok: true; headers: Record<string, string> } | { ok: false; headers: Record<string, string>; retryAfterS: number; which: 'requests' | 'tokens' };

/**
 * Requests and tokens per minute per client (its key, or its address without auth), over a sliding
 * window of 5-second slices. Decisions are made in process; with Redis, each instance adds its counts
 * to a shared hash per client every `syncIntervalMs` and reads the others' back, so instances share one
 * budget (a burst can overshoot by what the instances admit within one sync interval).
 */
export class RateLimiter {
  private readonly clients = new Map<string, Slices>();
  private timer?: NodeJS.Timeout;

  constructor(
    public limits: Limits,
    private readonly shared?: { client: RedisClient; keys: RedisKeys; onError: (op: string, err: unknown) => void },
  ) {}

  get enabled(): boolean {
    return Boolean(this.limits.requestsPerMinute || this.limits.tokensPerMinute);
  }

  start(syncIntervalMs: number): void {
    if (!this.shared || !this.enabled) return;
    this.timer = setInterval(() => void this.sync(), syncIntervalMs);
    this.timer.unref();
  }

  /** Counts one request (and its estimated prompt tokens) if the client's budget allows it. */
  admit(client: string, estimatedTokens: number, now: number): Admission {
    const s = this.slices(client, now);
    const [requests, tokens] = this.used(s, now);
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.limits;
    const headers = this.headers(requests + 1, tokens + estimatedTokens, s, now);
    if (rpm !== undefined && requests + 1 > rpm) return { ok: false, headers, retryAfterS: this.secondsUntilFree(s, now), which: 'requests' };
    if (tpm !== undefined && tokens > 0 && tokens + estimatedTokens > tpm) return { ok: false, headers, retryAfterS: this.secondsUntilFree(s, now), which: 'tokens' };
    this.add(s, now, 1, estimatedTokens);
    return { ok: true, headers };
  }

  /** Tokens learnt after the answer (completion, and the prompt's difference from the estimate). */
  addTokens(client: string, tokens: number, now: number): void {
    if (tokens !== 0) this.add(this.slices(client, now), now, 0, tokens);
  }

  private slices(client: string, now: number): Slices {
    let s = this.clients.get(client);
    if (!s) this.clients.set(client, (s = { remote: new Map(), pending: new Map(), lastUsed: now }));
    s.lastUsed = now;
    return s;
  }

  private add(s: Slices, now: number, requests: number, tokens: number): void {
    const slice = now - (now % SLICE_MS);
    const p = s.pending.get(slice) ?? [0, 0];
    p[0] += requests;
    p[1] += tokens;
    s.pending.set(slice, p);
  }

  private used(s: Slices, now: number): [number, number] {
    const oldest = now - WINDOW_MS;
    let r = 0;
    let t = 0;
    for (const m of [s.remote, s.pending]) {
      for (const [slice, [req, tok]] of m) {
        if (slice <= oldest) {
          m.delete(slice);
          continue;
        }
        r += req;
        t += tok;
      }
    }
    return [r, t];
  }

  /** Seconds until the oldest counted slice leaves the window. */
  private secondsUntilFree(s: Slices, now: number): number {
    let oldest = Infinity;
    for (const m of [s.remote, s.pending]) for (const slice of m.keys()) oldest = Math.min(oldest, slice);
    return oldest === Infinity ? 1 : Math.max(1, Math.ceil((oldest + WINDOW_MS + SLICE_MS - now) / 1000));
  }

  private headers(requests: number, tokens: number, s: Slices, now: number): Record<string, string> {
    const h: Record<string, string> = {};
    const reset = `${this.secondsUntilFree(s, now)}s`;
    const { requestsPerMinute: rpm, tokensPerMinute: tpm } = this.limits;
    if (rpm !== undefined) {
      h['x-ratelimit-limit-requests'] = String(rpm);
      h['x-ratelimit-remaining-requests'] = String(Math.max(0, rpm - requests));
      h['x-ratelimit-reset-requests'] = reset;
    }
    if (tpm !== undefined) {
      h['x-ratelimit-limit-tokens'] = String(tpm);
      h['x-ratelimit-remaining-tokens'] = String(Math.max(0, tpm - tokens));
      h['x-ratelimit-reset-tokens'] = reset;
    }
    return h;
  }

  /** Adds this instance's counts to the shared hashes and reads every active client's totals back. */
  async sync(now = Date.now()): Promise<void> {
    if (!this.shared) return;
    const { client, keys, onError } = this.shared;
    const active = [...this.clients].filter(([, s]) => now - s.lastUsed < WINDOW_MS + SLICE_MS);
    for (const [id, s] of this.clients) if (now - s.lastUsed >= WINDOW_MS + SLICE_MS) this.clients.delete(id);
    if (active.length === 0) return;
    const p = new Batch(client);
    const flushed = new Map<string, Map<number, [number, number]>>();
    for (const [id, s] of active) {
      const key = keys.rateLimit(id);
      for (const [slice, [req, tok]] of s.pending) {
        if (req) p.hincrby(key, `${slice}:r`, req);
        if (tok) p.hincrby(key, `${slice}:t`, tok);
      }
      if (s.pending.size > 0) p.pexpire(key, WINDOW_MS + 2 * SLICE_MS);
      flushed.set(id, s.pending);
      s.pending = new Map();
      p.hgetall(key);
    }
    try {
      const results = (await p.exec()) ?? [];
      if (results.some(([err]) => err)) throw results.find(([err]) => err)![0];
      // Every hgetall result is the last reply of its client's group, in order.
      const totals = results.filter(([, v]) => v !== null && typeof v === 'object').map(([, v]) => v as Record<string, string>);
      active.forEach(([, s], i) => {
        const remote = new Map<number, [number, number]>();
        for (const [field, value] of Object.entries(totals[i] ?? {})) {
          const [slice, kind] = field.split(':');
          const entry = remote.get(Number(slice)) ?? [0, 0];
          entry[kind === 'r' ? 0 : 1] += Number(value);
          remote.set(Number(slice), entry);
        }
        s.remote = remote;
      });
    } catch (err) {
      // Keep the counts for the next sync; decisions go on locally meanwhile.
      for (const [id, s] of active) {
        const old = flushed.get(id)!;
        for (const [slice, [r, t]] of old) {
          const cur = s.pending.get(slice) ?? [0, 0];
          s.pending.set(slice, [cur[0] + r, cur[1] + t]);
        }
      }
      onError('rate limit sync', err);
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

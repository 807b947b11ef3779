import { type Ask, type Grant, LocalRateWindow, type RateWindowStore } from './rate-window.js';

export interface Limits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
}

export type Admission = { ok: true; headers: Record<string, string> } | { ok: false; headers: Record<string, string>; retryAfterS: number; which: 'requests' | 'tokens' };

/** Units reserved ahead from a shared window and spent here; given back when unused for LEASE_MS. */
interface Lease {
  units: number;
  slice: number;
  /** Granted by the in-process fallback while Redis was away. */
  local?: true;
  until: number;
  /** The window's count when it was granted, for the x-ratelimit-remaining headers. */
  used: number;
  resetAt: number;
}

interface Held {
  requests?: Lease;
  tokens?: Lease;
}

/** How long a lease may be spent before what is left of it is given back. */
const LEASE_MS = 1000;

/**
 * Requests and tokens per minute per caller, over a sliding window (see rate-window.ts). In one process
 * the window is exact. Shared through Redis, each instance reserves from one window per caller with an
 * atomic script, taking a small lease (up to 1/20 of the limit, shrinking to nothing near it) that it
 * spends without a round trip: the fleet never admits more requests than the limit. Tokens: the prompt
 * estimate is reserved at admission; the rest of an answer's tokens are counted when it ends.
 *
 * @example
 * const limiter = new RateLimiter({ requestsPerMinute: 30 });
 * const a = await limiter.admit('name-team-a', limiter.limits, 120, Date.now());
 * if (!a.ok) console.log(`429, retry in ${a.retryAfterS}s`);
 */
export class RateLimiter {
  private readonly held = new Map<string, Held>();
  /** A reservation under way per caller: the caller's next requests wait for it, then spend its lease. */
  private readonly reserving = new Map<string, Promise<void>>();
  private timer?: NodeJS.Timeout;

  constructor(
    /** The default limits (`rate_limits`); a client key's own replace them. */
    public limits: Limits,
    private readonly window: RateWindowStore = new LocalRateWindow(),
    /** Whether leases are taken (shared windows: fewer round trips); in process, exactly what is needed. */
    private readonly leases = false,
  ) {}

  /** Whether any caller may be limited (the defaults, or a key's own when `keyed`). */
  enabledFor(limits: Limits | undefined): boolean {
    const l = limits ?? this.limits;
    return Boolean(l.requestsPerMinute || l.tokensPerMinute);
  }

  start(sweepIntervalMs: number): void {
    this.timer = setInterval(() => this.sweep(Date.now()), sweepIntervalMs);
    this.timer.unref();
  }

  /**
   * Counts one request with its estimated prompt tokens if the caller's window allows it. Answers at
   * once from a lease; otherwise reserves from the window (a Redis round trip when shared).
   */
  admit(client: string, limits: Limits, estimatedTokens: number, now: number): Admission | Promise<Admission> {
    const underWay = this.reserving.get(client);
    if (underWay) return underWay.then(() => this.admit(client, limits, estimatedTokens, now));
    const h = this.held.get(client) ?? {};
    this.held.set(client, h);
    const rpm = limits.requestsPerMinute;
    const tpm = limits.tokensPerMinute;
    const needTokens = Math.max(1, estimatedTokens);
    const ask: Ask = {};
    if (rpm && !covers(h.requests, 1, now)) ask.requests = { need: 1, extra: this.leases ? Math.floor(rpm / 20) : 0, limit: rpm };
    if (tpm && !covers(h.tokens, needTokens, now)) ask.tokens = { need: needTokens, extra: this.leases ? Math.floor(tpm / 20) : 0, limit: tpm };
    if (!ask.requests && !ask.tokens) return this.spend(h, limits, needTokens, now);
    const settle = (g: Grant): Admission => {
      if (!g.ok) {
        const headers = this.headers(h, limits, now, g);
        return { ok: false, headers, retryAfterS: Math.max(1, Math.ceil(g.resetMs / 1000)), which: g.which ?? 'requests' };
      }
      if (ask.requests) h.requests = this.renew(client, 'r', h.requests, g.requests, g.usedRequests, g, now);
      if (ask.tokens) h.tokens = this.renew(client, 't', h.tokens, g.tokens, g.usedTokens, g, now);
      return this.spend(h, limits, needTokens, now);
    };
    const g = this.window.reserve(client, ask, now);
    if (!(g instanceof Promise)) return settle(g);
    const admission = g.then(settle);
    this.reserving.set(
      client,
      admission.then(
        () => void this.reserving.delete(client),
        () => void this.reserving.delete(client),
      ),
    );
    return admission;
  }

  /** Tokens learnt after the answer (completion, and the prompt's difference from the estimate). */
  addTokens(client: string, tokens: number, now: number): void {
    const lease = this.held.get(client)?.tokens;
    if (tokens === 0 || !lease) return;
    if (tokens < 0 && lease.until > now)
      lease.units -= tokens; // given back to the lease
    else this.window.adjust(client, 't', lease, tokens);
  }

  /** The caller's window now (requests, tokens), for /admin/keys. */
  used(client: string, now: number): Promise<{ requests: number; tokens: number }> {
    return this.window.used(client, now);
  }

  private spend(h: Held, limits: Limits, tokens: number, now: number): Admission {
    if (limits.requestsPerMinute && h.requests) h.requests.units -= 1;
    if (limits.tokensPerMinute && h.tokens) h.tokens.units -= tokens;
    return { ok: true, headers: this.headers(h, limits, now) };
  }

  /** A fresh lease; what was left of the previous one goes back to its slice. */
  private renew(client: string, dimension: 'r' | 't', old: Lease | undefined, units: number, used: number, g: Grant, now: number): Lease {
    if (old && old.units > 0) this.window.adjust(client, dimension, old, -old.units);
    return { units, slice: g.slice, ...(g.local ? { local: true as const } : {}), until: now + LEASE_MS, used, resetAt: now + g.resetMs };
  }

  /** Gives back what expired leases did not spend, and forgets idle callers. */
  sweep(now: number): void {
    for (const [client, h] of this.held) {
      for (const [dimension, lease] of [
        ['r', h.requests],
        ['t', h.tokens],
      ] as const) {
        if (lease && lease.until <= now && lease.units > 0) {
          this.window.adjust(client, dimension, lease, -lease.units);
          lease.units = 0;
        }
      }
      if ((h.requests?.until ?? 0) + 60_000 < now && (h.tokens?.until ?? 0) + 60_000 < now) this.held.delete(client);
    }
  }

  private headers(h: Held, limits: Limits, now: number, refused?: Grant): Record<string, string> {
    const out: Record<string, string> = {};
    const put = (kind: 'requests' | 'tokens', limit: number | undefined, lease: Lease | undefined, used: number | undefined) => {
      if (limit === undefined) return;
      // The window's count less what this instance holds unspent: what the fleet has admitted.
      const admitted = refused ? (used ?? 0) : (lease?.used ?? 0) - Math.max(0, lease?.units ?? 0);
      const reset = refused ? refused.resetMs : Math.max(0, (lease?.resetAt ?? now) - now);
      out[`x-ratelimit-limit-${kind}`] = String(limit);
      out[`x-ratelimit-remaining-${kind}`] = String(Math.max(0, limit - admitted));
      out[`x-ratelimit-reset-${kind}`] = `${Math.max(1, Math.ceil(reset / 1000))}s`;
    };
    put('requests', limits.requestsPerMinute, h.requests, refused?.usedRequests);
    put('tokens', limits.tokensPerMinute, h.tokens, refused?.usedTokens);
    return out;
  }

  /** Gives every lease back and writes what is pending (shutdown). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.sweep(Number.POSITIVE_INFINITY);
    await this.window.close?.();
  }
}

const covers = (lease: Lease | undefined, units: number, now: number): boolean => lease !== undefined && lease.until > now && lease.units >= units;

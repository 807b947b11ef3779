/**
 * The sliding one-minute window a caller's requests and tokens are counted in, and the one decision
 * made on it: may this much more be reserved? The same rule runs in process (`LocalRateWindow`) and,
 * as a Lua script, in Redis (`RedisRateWindow`), so one instance alone and a fleet decide alike.
 */

export const WINDOW_MS = 60_000;
/** Counts are kept per slice of the window; a slice leaves the window whole. */
export const SLICE_MS = 5_000;

/** What to reserve in one step: for each dimension with a limit, what is needed now and what more may come along as a lease. */
export interface Ask {
  requests?: { need: number; extra: number; limit: number };
  tokens?: { need: number; extra: number; limit: number };
}

/** A reservation's result: all of it or nothing. */
export interface Grant {
  ok: boolean;
  /** Units reserved per dimension (need plus whatever lease was granted with it); 0 when refused. */
  requests: number;
  tokens: number;
  /** The window's counts after the reservation (everyone's, this reservation included). */
  usedRequests: number;
  usedTokens: number;
  /** The slice the reservation was counted in (unused units are given back to it). */
  slice: number;
  /** Milliseconds until the oldest counted slice leaves the window. */
  resetMs: number;
  /** Refused on which dimension. */
  which?: 'requests' | 'tokens';
  /** Made in this process while the shared window was unreachable: its adjustments stay here too. */
  local?: true;
}

/** Where a window is kept: this process, or Redis for the whole fleet. */
export interface RateWindowStore {
  /** Reserves atomically, or refuses. */
  reserve(client: string, ask: Ask, now: number): Grant | Promise<Grant>;
  /** Adds (or, negative, gives back) units counted in the slice of `grant`: tokens learnt after an answer, an unused lease. */
  adjust(client: string, dimension: 'r' | 't', grant: Pick<Grant, 'slice' | 'local'>, delta: number): void;
  /** The window's counts now, for /admin/keys. */
  used(client: string, now: number): Promise<{ requests: number; tokens: number }>;
  close?(): Promise<void>;
}

/**
 * The rule, on a window's fields (`<slice>:r` and `<slice>:t` -> count): fields of slices that left the
 * window are dropped; a dimension is granted when `used + need <= limit`, or when its window is empty
 * (one request larger than a whole minute's token limit may still pass, alone). A grant carries a lease of
 * at most `extra` more units, shrinking to nothing as the window fills (a quarter of what is left), so
 * that instances never hold what another one needs. Kept in step with RESERVE_SCRIPT.
 *
 * @example
 * const fields = new Map<string, number>();
 * reserveIn(fields, 61_000, { requests: { need: 1, extra: 0, limit: 30 } }); // { ok: true, requests: 1, ... }
 */
export function reserveIn(fields: Map<string, number>, now: number, ask: Ask): Grant {
  const slice = now - (now % SLICE_MS);
  let usedR = 0;
  let usedT = 0;
  let oldest = Infinity;
  for (const [field, count] of fields) {
    const cut = field.indexOf(':');
    const s = Number(field.slice(0, cut));
    if (s <= now - WINDOW_MS) {
      fields.delete(field);
      continue;
    }
    if (field.endsWith(':r')) usedR += count;
    else usedT += count;
    if (count > 0 && s < oldest) oldest = s;
  }
  const grant = (d: Ask['requests'], used: number): number | undefined => {
    if (!d) return 0;
    const left = d.limit - used;
    if (left < d.need && used > 0) return undefined;
    return d.need + Math.max(0, Math.min(d.extra, Math.floor((left - d.need) / 4)));
  };
  const r = grant(ask.requests, usedR);
  const t = grant(ask.tokens, usedT);
  const resetMs = Math.max(0, (oldest === Infinity ? slice : oldest) + WINDOW_MS - now);
  if (r === undefined || t === undefined) {
    return { ok: false, requests: 0, tokens: 0, usedRequests: usedR, usedTokens: usedT, slice, resetMs, which: r === undefined ? 'requests' : 'tokens' };
  }
  if (r > 0) fields.set(`${slice}:r`, (fields.get(`${slice}:r`) ?? 0) + r);
  if (t > 0) fields.set(`${slice}:t`, (fields.get(`${slice}:t`) ?? 0) + t);
  return { ok: true, requests: r, tokens: t, usedRequests: usedR + r, usedTokens: usedT + t, slice, resetMs: Math.min(oldest, slice) + WINDOW_MS - now };
}

/** Sums a window's fields that are still inside it. */
export function windowUsed(fields: Iterable<[string, number]>, now: number): { requests: number; tokens: number } {
  let requests = 0;
  let tokens = 0;
  for (const [field, count] of fields) {
    if (Number(field.slice(0, field.indexOf(':'))) <= now - WINDOW_MS) continue;
    if (field.endsWith(':r')) requests += count;
    else tokens += count;
  }
  return { requests, tokens };
}

/** Windows kept in this process: exact for one instance, and the fallback while Redis is away. */
export class LocalRateWindow implements RateWindowStore {
  private readonly windows = new Map<string, { fields: Map<string, number>; lastUsed: number }>();

  reserve(client: string, ask: Ask, now: number): Grant {
    let w = this.windows.get(client);
    if (!w) this.windows.set(client, (w = { fields: new Map(), lastUsed: now }));
    w.lastUsed = now;
    return reserveIn(w.fields, now, ask);
  }

  adjust(client: string, dimension: 'r' | 't', grant: Pick<Grant, 'slice'>, delta: number): void {
    const w = this.windows.get(client);
    if (!w) return;
    const field = `${grant.slice}:${dimension}`;
    w.fields.set(field, (w.fields.get(field) ?? 0) + delta);
  }

  async used(client: string, now: number): Promise<{ requests: number; tokens: number }> {
    return windowUsed(this.windows.get(client)?.fields ?? [], now);
  }

  /** Forgets callers idle for a whole window. */
  sweep(now: number): void {
    for (const [client, w] of this.windows) if (now - w.lastUsed > WINDOW_MS + SLICE_MS) this.windows.delete(client);
  }
}

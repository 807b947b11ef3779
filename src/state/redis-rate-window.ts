import type { RedisKeys } from './keys.js';
import { type Ask, type Grant, LocalRateWindow, type RateWindowStore, SLICE_MS, WINDOW_MS, windowUsed } from './rate-window.js';
import { Batch } from './redis-batch.js';
import type { RedisClient } from './redis-connection.js';

/**
 * `reserveIn` as one atomic script on the caller's window hash, on Redis's clock (instances' clocks
 * may differ). ARGV: window ms, slice ms, then per dimension (requests, tokens) need, extra, limit
 * (limit 0: not asked). Replies: ok, granted r, granted t, used r, used t, slice, reset ms, refused on.
 */
const RESERVE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local windowMs = tonumber(ARGV[1])
local sliceMs = tonumber(ARGV[2])
local slice = now - (now % sliceMs)
local fields = redis.call('HGETALL', KEYS[1])
local usedR, usedT, oldest = 0, 0, nil
for i = 1, #fields, 2 do
  local f = fields[i]
  local cut = string.find(f, ':', 1, true)
  local s = tonumber(string.sub(f, 1, cut - 1))
  local n = tonumber(fields[i + 1])
  if s <= now - windowMs then
    redis.call('HDEL', KEYS[1], f)
  else
    if string.sub(f, cut + 1) == 'r' then usedR = usedR + n else usedT = usedT + n end
    if n > 0 and (oldest == nil or s < oldest) then oldest = s end
  end
end
local function grant(need, extra, limit, used)
  if limit == 0 then return 0 end
  local left = limit - used
  if left < need and used > 0 then return -1 end
  return need + math.max(0, math.min(extra, math.floor((left - need) / 4)))
end
local r = grant(tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5]), usedR)
local g = grant(tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), usedT)
if r < 0 or g < 0 then
  local reset = ((oldest or slice) + windowMs) - now
  return {0, 0, 0, usedR, usedT, slice, reset, r < 0 and 'requests' or 'tokens'}
end
if r > 0 then redis.call('HINCRBY', KEYS[1], slice .. ':r', r) end
if g > 0 then redis.call('HINCRBY', KEYS[1], slice .. ':t', g) end
redis.call('PEXPIRE', KEYS[1], windowMs + 2 * sliceMs)
local first = oldest or slice
if slice < first then first = slice end
return {1, r, g, usedR + r, usedT + g, slice, first + windowMs - now, ''}
`;

/**
 * Windows in Redis, one hash per caller, so that every instance reserves from one count: a burst across
 * the fleet is admitted exactly up to the limit. Adjustments (tokens learnt after answers, unused leases
 * given back) are pooled and written every `syncIntervalMs`. While Redis is unreachable, reservations
 * are made in a local window (each instance then admits up to the whole limit) and the error reported.
 */
export class RedisRateWindow implements RateWindowStore {
  private readonly fallback = new LocalRateWindow();
  private pending = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly onError: (op: string, err: unknown) => void,
  ) {}

  start(syncIntervalMs: number): void {
    this.timer = setInterval(() => void this.flush(), syncIntervalMs);
    this.timer.unref();
  }

  async reserve(client: string, ask: Ask, now: number): Promise<Grant> {
    const d = (x: Ask['requests']) => (x ? [x.need, x.extra, x.limit] : [0, 0, 0]);
    try {
      const reply = (await this.client.eval(RESERVE_SCRIPT, 1, this.keys.rateLimit(client), WINDOW_MS, SLICE_MS, ...d(ask.requests), ...d(ask.tokens))) as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        string,
      ];
      const [ok, requests, tokens, usedRequests, usedTokens, slice, resetMs, which] = reply;
      return { ok: ok === 1, requests, tokens, usedRequests, usedTokens, slice, resetMs: Math.max(0, resetMs), ...(which ? { which: which as 'requests' | 'tokens' } : {}) };
    } catch (err) {
      this.onError('rate limit reserve', err);
      return { ...this.fallback.reserve(client, ask, now), local: true };
    }
  }

  adjust(client: string, dimension: 'r' | 't', grant: Pick<Grant, 'slice' | 'local'>, delta: number): void {
    if (delta === 0) return;
    if (grant.local) return this.fallback.adjust(client, dimension, grant, delta);
    const field = `${client}\0${grant.slice}:${dimension}`;
    this.pending.set(field, (this.pending.get(field) ?? 0) + delta);
  }

  async used(client: string, now: number): Promise<{ requests: number; tokens: number }> {
    try {
      const fields = await this.client.hgetall(this.keys.rateLimit(client));
      const own = [...this.pending].filter(([k]) => k.startsWith(`${client}\0`)).map(([k, v]): [string, number] => [k.slice(client.length + 1), v]);
      return windowUsed([...Object.entries(fields).map(([k, v]): [string, number] => [k, Number(v)]), ...own], now);
    } catch (err) {
      this.onError('rate limit read', err);
      return this.fallback.used(client, now);
    }
  }

  /** Writes the pooled adjustments; on failure they wait for the next flush (those of slices still in the window). */
  async flush(now = Date.now()): Promise<void> {
    this.fallback.sweep(now);
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const p = new Batch(this.client);
    const clients = new Set<string>();
    for (const [k, delta] of batch) {
      const [client, field] = k.split('\0') as [string, string];
      p.hincrby(this.keys.rateLimit(client), field, delta);
      clients.add(client);
    }
    // A window that expired meanwhile is made again by HINCRBY: it must expire too.
    for (const client of clients) p.pexpire(this.keys.rateLimit(client), WINDOW_MS + 2 * SLICE_MS);
    try {
      const results = await p.exec();
      const failed = results.find(([err]) => err);
      if (failed) throw failed[0];
    } catch (err) {
      for (const [k, delta] of batch) {
        if (Number(k.slice(k.indexOf('\0') + 1, k.lastIndexOf(':'))) <= now - WINDOW_MS) continue;
        this.pending.set(k, (this.pending.get(k) ?? 0) + delta);
      }
      this.onError('rate limit sync', err);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

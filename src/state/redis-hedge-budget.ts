import { budgetAllows } from '../routing/hedge.js';
import { type HedgeBook, HedgeBudgets } from '../routing/hedge-budget.js';
import type { RedisClient } from './redis-connection.js';

/**
 * Adds this instance's new counts to the route's window hash (fields `<second>:r` and `<second>:h`, on
 * Redis's clock), drops the seconds that left the window and answers the fleet's sums. ARGV: window ms,
 * requests, hedges.
 */
const POOL = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local slice = now - (now % 1000)
local windowMs = tonumber(ARGV[1])
if tonumber(ARGV[2]) > 0 then redis.call('HINCRBY', KEYS[1], slice .. ':r', ARGV[2]) end
if tonumber(ARGV[3]) > 0 then redis.call('HINCRBY', KEYS[1], slice .. ':h', ARGV[3]) end
local fields = redis.call('HGETALL', KEYS[1])
local r, h = 0, 0
for i = 1, #fields, 2 do
  local f = fields[i]
  local cut = string.find(f, ':', 1, true)
  local s = tonumber(string.sub(f, 1, cut - 1))
  if s <= now - windowMs then
    redis.call('HDEL', KEYS[1], f)
  elseif string.sub(f, cut + 1) == 'r' then r = r + tonumber(fields[i + 1]) else h = h + tonumber(fields[i + 1]) end
end
redis.call('PEXPIRE', KEYS[1], windowMs + 2000)
return {r, h}
`;

const WINDOW_MS = 60_000;

/**
 * Hedge budgets pooled across every instance on one Redis: each instance counts in process and, every
 * `syncIntervalMs`, adds its new counts to the route's shared window and reads the fleet's sums. A
 * hedge is allowed while the fleet's hedges (as of the last sync, plus this instance's since) stay
 * within the share of the fleet's requests. Nothing on the request path waits for Redis; the bound is
 * exceeded at most by what the other instances start within one sync interval. While Redis is
 * unreachable (or before the first sync) the instance decides from its own counts.
 *
 * @example
 * const book = new PooledHedgeBudgets(client, 'switchyard:', onError);
 * book.start(250);
 */
export class PooledHedgeBudgets implements HedgeBook {
  private readonly local = new HedgeBudgets();
  private readonly pending = new Map<string, { requests: number; hedges: number }>();
  private readonly fleet = new Map<string, { requests: number; hedges: number }>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly onError: (op: string, err: unknown) => void,
  ) {}

  start(syncIntervalMs: number): void {
    this.timer = setInterval(() => void this.sync(), syncIntervalMs);
    this.timer.unref();
    this.client.once('end', () => this.stop());
  }

  stop(): void {
    clearInterval(this.timer);
  }

  countRequest(route: string, now: number): void {
    this.local.countRequest(route, now);
    this.pendingOf(route).requests += 1;
  }

  take(route: string, maxExtraPercent: number, now: number): boolean {
    const fleet = this.fleet.get(route);
    if (!fleet) return this.local.take(route, maxExtraPercent, now) && this.counted(route);
    const p = this.pendingOf(route);
    if (!budgetAllows(fleet.requests + p.requests, fleet.hedges + p.hedges, maxExtraPercent)) return false;
    p.hedges += 1;
    return true;
  }

  /** Adds this instance's new counts to Redis and reads the fleet's sums (each interval; tests call it). */
  async sync(): Promise<void> {
    const routes = new Set([...this.pending.keys(), ...this.fleet.keys()]);
    await Promise.all(
      [...routes].map(async (route) => {
        const p = this.pending.get(route) ?? { requests: 0, hedges: 0 };
        this.pending.delete(route);
        try {
          const [requests, hedges] = (await this.client.eval(POOL, 1, `${this.prefix}hedge:${route}`, WINDOW_MS, p.requests, p.hedges)) as [number, number];
          this.fleet.set(route, { requests, hedges });
        } catch (err) {
          // Counts not written are added again next time; the instance decides alone until Redis answers.
          const again = this.pendingOf(route);
          again.requests += p.requests;
          again.hedges += p.hedges;
          this.fleet.delete(route);
          this.onError('hedge budget', err);
        }
      }),
    );
  }

  private counted(route: string): boolean {
    this.pendingOf(route).hedges += 1;
    return true;
  }

  private pendingOf(route: string): { requests: number; hedges: number } {
    let p = this.pending.get(route);
    if (!p) {
      p = { requests: 0, hedges: 0 };
      this.pending.set(route, p);
    }
    return p;
  }
}

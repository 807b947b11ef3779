import { randomUUID } from 'node:crypto';
import { type BudgetAdmission, type BudgetCaps, type BudgetSpend, type BudgetStore, budgetDecision, HOLD_TTL_MS, type Hold, LocalBudgets, periodsOf, resetOf } from './budget-store.js';
import type { RedisKeys } from './keys.js';
import type { RedisClient } from './redis-connection.js';

/**
 * budgetDecision in Redis, atomically: expired holds dropped, spent plus held compared with each cap,
 * the hold added when admitted. KEYS: spend hash, holds. ARGV: day, month, day cap, month cap, amount,
 * hold id, now, hold ttl. Reply: admitted (1/0), refused period, day spent, month spent, held.
 */
const RESERVE = `
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[7])
local held = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do held = held + tonumber(string.match(m, ':(%d+)$')) end
local d = tonumber(redis.call('HGET', KEYS[1], 'd:' .. ARGV[1]) or '0')
local m = tonumber(redis.call('HGET', KEYS[1], 'm:' .. ARGV[2]) or '0')
local dc, mc = tonumber(ARGV[3]), tonumber(ARGV[4])
if dc > 0 and d + held >= dc then return {0, 'day', d, m, held} end
if mc > 0 and m + held >= mc then return {0, 'month', d, m, held} end
redis.call('ZADD', KEYS[2], tonumber(ARGV[7]) + tonumber(ARGV[8]), ARGV[6] .. ':' .. ARGV[5])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
return {1, '', d, m, held}
`;

/**
 * A hold settled: removed, and the real cost added to the day and the month (other periods' fields go).
 * KEYS: spend hash, holds. ARGV: hold member (empty: none), cost, day, month.
 */
const SETTLE = `
if ARGV[1] ~= '' then redis.call('ZREM', KEYS[2], ARGV[1]) end
local cost = tonumber(ARGV[2])
if cost > 0 then
  redis.call('HINCRBY', KEYS[1], 'd:' .. ARGV[3], cost)
  redis.call('HINCRBY', KEYS[1], 'm:' .. ARGV[4], cost)
  if redis.call('HLEN', KEYS[1]) > 2 then
    for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
      if f ~= 'd:' .. ARGV[3] and f ~= 'm:' .. ARGV[4] then redis.call('HDEL', KEYS[1], f) end
    end
  end
  redis.call('EXPIRE', KEYS[1], 40 * 86400)
end
return 1
`;

/**
 * Budgets shared through Redis: every instance reserves and settles on one count per key name, so the
 * fleet overspends a cap by at most the cost of the last request admitted under it. While Redis is
 * unreachable, decisions go on from the fleet's spend last seen plus this instance's since, and the
 * spend is written when Redis returns.
 */
export class RedisBudgets implements BudgetStore {
  private fallback = new LocalBudgets();
  /** The fleet's spend per name when last read, with its periods. */
  private readonly known = new Map<string, { day: string; month: string; spentDay: number; spentMonth: number }>();
  /** Spend settled while Redis was away, to be written: `name\0day\0month` -> micro-dollars. */
  private readonly unwritten = new Map<string, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly onError: (op: string, err: unknown) => void,
  ) {}

  start(retryIntervalMs: number): void {
    this.timer = setInterval(() => void this.writeUnwritten(), retryIntervalMs);
    this.timer.unref();
  }

  async reserve(name: string, caps: BudgetCaps, amount: number, now: number): Promise<BudgetAdmission> {
    const { day, month } = periodsOf(now);
    const id = randomUUID();
    try {
      const reply = (await this.client.eval(RESERVE, 2, this.keys.budget(name), this.keys.budgetHolds(name), day, month, caps.day, caps.month, amount, id, now, HOLD_TTL_MS)) as [
        number,
        string,
        number,
        number,
        number,
      ];
      const [ok, period, spentDay, spentMonth] = reply;
      this.known.set(name, { day, month, spentDay, spentMonth });
      if (ok === 1) return { ok: true, hold: { id, amount } };
      const p = period as 'day' | 'month';
      return { ok: false, period: p, spent: p === 'day' ? spentDay : spentMonth, cap: caps[p], resetAt: resetOf(p, now) };
    } catch (err) {
      this.onError('budget reserve', err);
      const s = await this.spend(name, now, false);
      const over = budgetDecision(s, caps);
      if (over) return { ok: false, period: over, spent: over === 'day' ? s.day : s.month, cap: caps[over], resetAt: resetOf(over, now) };
      return this.fallback.reserve(name, { day: 0, month: 0 }, amount, now);
    }
  }

  settle(name: string, hold: Hold, cost: number, now: number): void {
    const { day, month } = periodsOf(now);
    const local = hold.id.startsWith('local-');
    if (local) this.fallback.settle(name, hold, 0, now);
    const member = local ? '' : `${hold.id}:${hold.amount}`;
    if (local && cost <= 0) return;
    this.client.eval(SETTLE, 2, this.keys.budget(name), this.keys.budgetHolds(name), member, Math.max(0, Math.round(cost)), day, month).catch((err: unknown) => {
      this.onError('budget settle', err);
      this.fallback.add(name, cost, now);
      const k = `${name}\0${day}\0${month}`;
      this.unwritten.set(k, (this.unwritten.get(k) ?? 0) + Math.max(0, Math.round(cost)));
    });
  }

  /** The fleet's spend (Redis), or, while Redis is away, the spend last seen plus this instance's since. */
  async spend(name: string, now: number, read = true): Promise<BudgetSpend> {
    const { day, month } = periodsOf(now);
    if (read) {
      try {
        const [d, m] = await this.client.hmget(this.keys.budget(name), `d:${day}`, `m:${month}`);
        const holds = await this.client.zrangebyscore(this.keys.budgetHolds(name), now, '+inf');
        const held = holds.reduce((sum, h) => sum + Number(h.slice(h.lastIndexOf(':') + 1)), 0);
        return { day: Number(d ?? 0), month: Number(m ?? 0), held };
      } catch (err) {
        this.onError('budget read', err);
      }
    }
    const mine = await this.fallback.spend(name, now);
    const k = this.known.get(name);
    return {
      day: mine.day + (k?.day === day ? k.spentDay : 0),
      month: mine.month + (k?.month === month ? k.spentMonth : 0),
      held: mine.held,
    };
  }

  private async writeUnwritten(): Promise<void> {
    if (this.unwritten.size === 0) return;
    const batch = [...this.unwritten];
    this.unwritten.clear();
    for (const [k, cost] of batch) {
      const [name, day, month] = k.split('\0') as [string, string, string];
      try {
        await this.client.eval(SETTLE, 2, this.keys.budget(name), this.keys.budgetHolds(name), '', cost, day, month);
      } catch (err) {
        this.unwritten.set(k, (this.unwritten.get(k) ?? 0) + cost);
        this.onError('budget write', err);
        return;
      }
    }
    // Written: the fleet's count has this instance's spend again, so the local copy starts over.
    if (this.unwritten.size === 0) this.fallback = new LocalBudgets();
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.writeUnwritten();
  }
}

/**
 * Spend per client key name, per UTC day and calendar month, against its budget. Amounts are integer
 * micro-dollars. A request reserves its estimated cost (a hold) before the call and settles with the real
 * cost after; while its key has spent plus held less than a cap, a request is admitted. In one process
 * (`LocalBudgets`) or in Redis for the fleet (`RedisBudgets`), by the same rule (`budgetDecision`).
 */

/** A key's caps in micro-dollars (0: none). */
export interface BudgetCaps {
  day: number;
  month: number;
}

export interface Hold {
  id: string;
  amount: number;
}

export type BudgetAdmission = { ok: true; hold: Hold } | { ok: false; period: 'day' | 'month'; spent: number; cap: number; resetAt: number };

export interface BudgetSpend {
  day: number;
  month: number;
  held: number;
}

export interface BudgetStore {
  reserve(name: string, caps: BudgetCaps, amount: number, now: number): BudgetAdmission | Promise<BudgetAdmission>;
  /** The real cost of a held request (0 when it was not served); in the background. */
  settle(name: string, hold: Hold, cost: number, now: number): void;
  spend(name: string, now: number): Promise<BudgetSpend>;
  close(): Promise<void>;
}

/** How long a hold counts when its request never settles (an instance that died mid-request). */
export const HOLD_TTL_MS = 10 * 60_000;

let lastPeriods = { start: 0, end: 0, periods: { day: '', month: '' } };

/** UTC day `YYYY-MM-DD` and month `YYYY-MM` of a time (the current day's are kept: this runs per request). */
export function periodsOf(now: number): { day: string; month: string } {
  if (now >= lastPeriods.start && now < lastPeriods.end) return lastPeriods.periods;
  const iso = new Date(now).toISOString();
  const start = now - (now % 86_400_000);
  lastPeriods = { start, end: start + 86_400_000, periods: { day: iso.slice(0, 10), month: iso.slice(0, 7) } };
  return lastPeriods.periods;
}

/** When the day's and the month's caps start over (next UTC midnight, the first of next month). */
export function resetOf(period: 'day' | 'month', now: number): number {
  const d = new Date(now);
  return period === 'day' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1) : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/**
 * The rule: refused on the first cap that spent plus held has reached. Kept in step with the Lua in
 * redis-budgets.ts.
 *
 * @example
 * budgetDecision({ day: 4_990_000, month: 20_000_000, held: 20_000 }, { day: 5_000_000, month: 0 }); // 'day'
 */
export function budgetDecision(s: BudgetSpend, caps: BudgetCaps): 'day' | 'month' | undefined {
  if (caps.day > 0 && s.day + s.held >= caps.day) return 'day';
  if (caps.month > 0 && s.month + s.held >= caps.month) return 'month';
  return undefined;
}

interface Ledger {
  days: Map<string, number>;
  months: Map<string, number>;
  holds: Map<string, { amount: number; until: number }>;
}

/** Budgets kept in this process (no Redis, or Redis unreachable): spend starts over when it restarts. */
export class LocalBudgets implements BudgetStore {
  private readonly ledgers = new Map<string, Ledger>();
  private next = 0;

  reserve(name: string, caps: BudgetCaps, amount: number, now: number): BudgetAdmission {
    const l = this.ledger(name);
    const s = this.spendNow(l, now);
    const over = budgetDecision(s, caps);
    if (over) return { ok: false, period: over, spent: over === 'day' ? s.day : s.month, cap: caps[over], resetAt: resetOf(over, now) };
    const hold = { id: `local-${++this.next}`, amount };
    l.holds.set(hold.id, { amount, until: now + HOLD_TTL_MS });
    return { ok: true, hold };
  }

  settle(name: string, hold: Hold, cost: number, now: number): void {
    const l = this.ledger(name);
    l.holds.delete(hold.id);
    this.add(name, cost, now);
  }

  /** Adds spend made elsewhere (a hold settled while Redis was away, or the fleet's spend seen last). */
  add(name: string, cost: number, now: number): void {
    if (cost <= 0) return;
    const l = this.ledger(name);
    const { day, month } = periodsOf(now);
    l.days.set(day, (l.days.get(day) ?? 0) + cost);
    l.months.set(month, (l.months.get(month) ?? 0) + cost);
  }

  async spend(name: string, now: number): Promise<BudgetSpend> {
    return this.spendNow(this.ledger(name), now);
  }

  async close(): Promise<void> {}

  private spendNow(l: Ledger, now: number): BudgetSpend {
    const { day, month } = periodsOf(now);
    let held = 0;
    for (const [id, h] of l.holds) {
      if (h.until <= now) l.holds.delete(id);
      else held += h.amount;
    }
    for (const d of l.days.keys()) if (d !== day) l.days.delete(d);
    for (const m of l.months.keys()) if (m !== month) l.months.delete(m);
    return { day: l.days.get(day) ?? 0, month: l.months.get(month) ?? 0, held };
  }

  private ledger(name: string): Ledger {
    let l = this.ledgers.get(name);
    if (!l) this.ledgers.set(name, (l = { days: new Map(), months: new Map(), holds: new Map() }));
    return l;
  }
}

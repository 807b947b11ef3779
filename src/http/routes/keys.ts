import type { Hono } from 'hono';
import { type KeyPolicy, namedCallerId } from '../../core/client-keys.js';
import { limitsFor } from '../../core/key-admission.js';
import type { Gateway } from '../../gateway.js';
import { resetOf } from '../../state/budget-store.js';
import type { AppEnv } from '../app.js';

/** One client key as GET /admin/keys shows it: its name and policy, with what it has used; never the key. */
export interface KeyReport {
  name: string;
  models: readonly string[] | null;
  rate_limits: { requests_per_minute: number | null; tokens_per_minute: number | null; used: { requests: number; tokens: number } };
  budget: { usd_per_day: number | null; usd_per_month: number | null; spent_today_usd: number; spent_month_usd: number; reserved_usd: number; day_resets_at: string; month_resets_at: string } | null;
}

/**
 * GET /admin/keys (behind the admin guard): every named client key with its model allow-list, its
 * rate limits and their use in the current window, and its budget with the spend of the day and the
 * month (the fleet's, with Redis). Plain-string keys are counted, not listed.
 */
export function mountKeys(app: Hono<AppEnv>, gateway: Gateway): void {
  app.get('/admin/keys', async (c) => {
    const now = gateway.clock();
    const policies = gateway.keyBook.policies();
    const keys = await Promise.all(policies.map((p) => keyReport(gateway, p, now)));
    return c.json({ keys, unnamed_keys: gateway.keyBook.size - policies.length });
  });
}

async function keyReport(gateway: Gateway, p: KeyPolicy, now: number): Promise<KeyReport> {
  const limits = limitsFor(gateway, p);
  const used = await gateway.rateLimiter.used(namedCallerId(p.name), now);
  const usd = (micros: number) => Math.round(micros) / 1e6;
  let budget: KeyReport['budget'] = null;
  if (p.budget) {
    const s = await gateway.budgets.spend(p.name, now);
    budget = {
      usd_per_day: p.budget.usdPerDay ?? null,
      usd_per_month: p.budget.usdPerMonth ?? null,
      spent_today_usd: usd(s.day),
      spent_month_usd: usd(s.month),
      reserved_usd: usd(s.held),
      day_resets_at: new Date(resetOf('day', now)).toISOString(),
      month_resets_at: new Date(resetOf('month', now)).toISOString(),
    };
  }
  return {
    name: p.name,
    models: p.models ?? null,
    rate_limits: { requests_per_minute: limits.requestsPerMinute ?? null, tokens_per_minute: limits.tokensPerMinute ?? null, used },
    budget,
  };
}

import type { Gateway } from '../gateway.js';
import type { Candidate } from '../routing/strategy.js';
import type { Hold } from '../state/budget-store.js';
import type { Limits } from '../state/rate-limiter.js';
import type { KeyPolicy } from './client-keys.js';
import { type ApiError, gatewayError } from './errors.js';

/** Output tokens reserved for a request that sets no `max_tokens`. */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4096;

/** A budget hold taken at admission; settled with the real cost once the answer is known. */
export interface BudgetHold {
  /** The real cost; undefined when it is unknown (no usage reported): the held estimate is spent. */
  settle(costUsd: number | undefined): void;
}

type Refusal = { error: ApiError; headers: Record<string, string | number> };

/**
 * The model allow-list of a key: the requested name (an alias name counts as itself) must match one of
 * its names or globs.
 *
 * @example
 * modelRefusal({ name: 'team-a', allows: (m) => m === 'gpt-4o-mini' }, 'gpt-4o')?.status; // 403
 */
export function modelRefusal(policy: KeyPolicy | undefined, model: string): ApiError | undefined {
  if (!policy || policy.allows(model)) return undefined;
  return gatewayError('model_not_allowed', `The key "${policy.name}" may not use the model \`${model}\` (allowed: ${(policy.models ?? []).join(', ')}).`, 'model');
}

/** The limits a caller is held to: its key's own, else the configured defaults. */
export function limitsFor(gateway: Gateway, policy: KeyPolicy | undefined): Limits {
  return policy?.rateLimits ?? gateway.rateLimiter.limits;
}

/**
 * A request's cost if it used all of its output cap, at the dearest price among its candidates, in
 * micro-dollars (tokens times USD per million tokens).
 *
 * @example
 * estimatedCostMicros(gateway, candidates, 1200, 512);
 */
export function estimatedCostMicros(gateway: Gateway, candidates: readonly Candidate[], promptTokens: number, maxTokens: number | undefined): number {
  let dearest = 0;
  const output = maxTokens ?? DEFAULT_RESERVED_OUTPUT_TOKENS;
  for (const c of candidates) {
    const p = gateway.prices.get(c.provider, c.model);
    if (p) dearest = Math.max(dearest, promptTokens * p.input + output * p.output);
  }
  return Math.ceil(dearest);
}

/**
 * Reserves a request's estimated cost against its key's budget (day and month), or refuses with 429
 * `budget_exceeded` and the time the cap starts over.
 */
export async function reserveBudget(gateway: Gateway, policy: KeyPolicy, amountMicros: number): Promise<BudgetHold | Refusal> {
  const b = policy.budget!;
  const caps = { day: Math.round((b.usdPerDay ?? 0) * 1e6), month: Math.round((b.usdPerMonth ?? 0) * 1e6) };
  const now = gateway.clock();
  const r = await gateway.budgets.reserve(policy.name, caps, amountMicros, now);
  if (!r.ok) {
    gateway.metrics.keyRejected.labels(policy.name, 'budget_exceeded').inc();
    const resetAt = new Date(r.resetAt).toISOString();
    const retryAfter = Math.max(1, Math.ceil((r.resetAt - now) / 1000));
    const usd = (micros: number) => (micros / 1e6).toFixed(4);
    return {
      error: gatewayError('budget_exceeded', `The key "${policy.name}" has spent $${usd(r.spent)} of its $${usd(r.cap)} ${r.period === 'day' ? 'daily' : 'monthly'} budget; it resets at ${resetAt}.`),
      headers: { 'retry-after': retryAfter, 'x-switchyard-budget-reset': resetAt },
    };
  }
  const hold: Hold = r.hold;
  let settled = false;
  return {
    settle: (costUsd) => {
      if (settled) return;
      settled = true;
      gateway.budgets.settle(policy.name, hold, costUsd === undefined ? hold.amount : Math.round(costUsd * 1e6), gateway.clock());
    },
  };
}

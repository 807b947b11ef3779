import { describe, expect, it } from 'vitest';
import { KeyBook } from '../../src/core/client-keys.js';
import { budgetDecision, LocalBudgets, periodsOf, resetOf } from '../../src/state/budget-store.js';
import { RateLimiter } from '../../src/state/rate-limiter.js';
import { reserveIn, SLICE_MS, WINDOW_MS } from '../../src/state/rate-window.js';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

describe('the rate window rule', () => {
  it('grants up to the limit, then refuses until the oldest slice leaves the window', () => {
    const fields = new Map<string, number>();
    for (let i = 0; i < 3; i++) expect(reserveIn(fields, T0 + i * 1000, { requests: { need: 1, extra: 0, limit: 3 } }).ok).toBe(true);
    const refused = reserveIn(fields, T0 + 10_000, { requests: { need: 1, extra: 0, limit: 3 } });
    expect(refused).toMatchObject({ ok: false, which: 'requests', usedRequests: 3 });
    expect(refused.resetMs).toBe(T0 + WINDOW_MS - (T0 + 10_000));
    expect(reserveIn(fields, T0 + WINDOW_MS + SLICE_MS, { requests: { need: 1, extra: 0, limit: 3 } }).ok).toBe(true);
  });

  it('grants a lease of at most `extra`, shrinking to a quarter of what is left', () => {
    const fields = new Map<string, number>();
    expect(reserveIn(fields, T0, { requests: { need: 1, extra: 10, limit: 100 } }).requests).toBe(11);
    expect(reserveIn(fields, T0, { requests: { need: 1, extra: 10, limit: 20 } }).requests).toBe(1 + 2); // (20 - 11 - 1) / 4
    expect(reserveIn(fields, T0, { requests: { need: 1, extra: 10, limit: 16 } }).requests).toBe(1);
  });

  it('is all or nothing across requests and tokens, and lets one oversized request through an empty window', () => {
    const fields = new Map<string, number>();
    expect(reserveIn(fields, T0, { tokens: { need: 5000, extra: 0, limit: 1000 } })).toMatchObject({ ok: true, tokens: 5000 });
    const refused = reserveIn(fields, T0, { requests: { need: 1, extra: 0, limit: 10 }, tokens: { need: 1, extra: 0, limit: 1000 } });
    expect(refused).toMatchObject({ ok: false, which: 'tokens', requests: 0 });
    expect(fields.get(`${T0 - (T0 % SLICE_MS)}:r`)).toBeUndefined();
  });
});

describe('RateLimiter in process', () => {
  it('admits exactly the limit and gives tokens learnt after the answer to the window', async () => {
    const limiter = new RateLimiter({ requestsPerMinute: 2, tokensPerMinute: 100 });
    expect((await limiter.admit('c', limiter.limits, 10, T0)).ok).toBe(true);
    limiter.addTokens('c', 85, T0); // the answer used 95 tokens in all
    const tooMany = await limiter.admit('c', limiter.limits, 10, T0 + 1);
    expect(tooMany).toMatchObject({ ok: false, which: 'tokens' });
    expect(tooMany.headers['x-ratelimit-remaining-tokens']).toBe('5');
    expect((await limiter.admit('other', limiter.limits, 10, T0 + 1)).ok).toBe(true);
    await limiter.close();
  });
});

describe('budgets', () => {
  it('refuses on the first cap that spent plus held has reached', () => {
    expect(budgetDecision({ day: 4_000_000, month: 0, held: 999_999 }, { day: 5_000_000, month: 0 })).toBeUndefined();
    expect(budgetDecision({ day: 4_000_000, month: 0, held: 1_000_000 }, { day: 5_000_000, month: 0 })).toBe('day');
    expect(budgetDecision({ day: 0, month: 100_000_000, held: 0 }, { day: 5_000_000, month: 100_000_000 })).toBe('month');
  });

  it('starts over at the next UTC midnight and on the first of the next month', () => {
    expect(periodsOf(T0)).toEqual({ day: '2026-12-06', month: '2026-12' });
    expect(new Date(resetOf('day', T0)).toISOString()).toBe('2026-12-07T00:00:00.000Z');
    expect(new Date(resetOf('month', T0)).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('holds the estimate until it is settled with the real cost', async () => {
    const b = new LocalBudgets();
    const caps = { day: 3_000_000, month: 0 };
    const first = b.reserve('team', caps, 2_000_000, T0);
    expect(first.ok).toBe(true);
    const second = b.reserve('team', caps, 2_000_000, T0);
    expect(second.ok).toBe(true); // 2 held < 3
    expect(b.reserve('team', caps, 2_000_000, T0)).toMatchObject({ ok: false, period: 'day' });
    if (first.ok && second.ok) {
      b.settle('team', first.hold, 500_000, T0);
      b.settle('team', second.hold, 0, T0);
    }
    expect(await b.spend('team', T0)).toEqual({ day: 500_000, month: 500_000, held: 0 });
    expect(await b.spend('team', T0 + 86_400_000)).toMatchObject({ day: 0, month: 500_000 });
  });
});

describe('KeyBook', () => {
  it('finds a key’s policy, plain keys by a digest that is not the key', () => {
    const book = new KeyBook(['sk-plain-1', { key: 'sk-team-2', name: 'team', models: ['gpt-4o-mini', 'claude-*'] }]);
    const plain = book.find('sk-plain-1')!;
    expect(plain.id).toMatch(/^key-[A-Za-z0-9_-]{16}$/);
    expect(plain.id).not.toContain('sk-plain');
    const team = book.find('sk-team-2')!;
    expect(team.id).toBe('name-team');
    expect(team.policy!.allows('claude-haiku-4-5')).toBe(true);
    expect(team.policy!.allows('gpt-4o')).toBe(false);
    expect(book.find('sk-team-3')).toBeUndefined();
    expect(book.policies().map((p) => p.name)).toEqual(['team']);
  });
});

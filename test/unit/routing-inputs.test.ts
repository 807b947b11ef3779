import { describe, expect, it } from 'vitest';
import { estimatePromptTokens, requestedMaxTokens } from '../../src/routing/estimate.js';
import { applyPreferences } from '../../src/routing/preferences.js';
import { SessionAffinity } from '../../src/routing/sessions.js';
import type { Candidate, ProviderView, RoutingSnapshot } from '../../src/routing/strategy.js';
import { parseDuration, RateLimitTracker } from '../../src/telemetry/rate-limits.js';
import { RollingCounter } from '../../src/telemetry/rolling.js';
import { daysOf, groupRows, lineKey, UsageLedger } from '../../src/telemetry/usage-ledger.js';

const c = (provider: string, chainIndex: number): Candidate => ({ provider, model: 'm', chainIndex });
const snap = (states: Record<string, ProviderView['state']>): RoutingSnapshot => ({
  now: 0,
  providers: new Map(Object.entries(states).map(([p, state]) => [p, { state, requests: 0, successes: 0, failures: 0, weight: 1 }])),
  price: () => undefined,
  random: () => 0.5,
});

describe('request preferences', () => {
  const ordered = [c('a', 0), c('b', 1), c('c', 2)];
  it('puts a pinned provider first and keeps the rest as fallbacks', () => {
    expect(applyPreferences(ordered, { pin: 'c', fallback: true }, snap({})).map((x) => x.provider)).toEqual(['c', 'a', 'b']);
  });
  it('drops the fallbacks when asked', () => {
    expect(applyPreferences(ordered, { pin: 'b', fallback: false }, snap({})).map((x) => x.provider)).toEqual(['b']);
  });
  it('moves a session’s provider first only while its breaker is closed', () => {
    expect(applyPreferences(ordered, { sessionProvider: 'b', fallback: true }, snap({ b: 'closed' })).map((x) => x.provider)).toEqual(['b', 'a', 'c']);
    expect(applyPreferences(ordered, { sessionProvider: 'b', fallback: true }, snap({ b: 'half_open' })).map((x) => x.provider)).toEqual(['a', 'b', 'c']);
  });
  it('lets a pin beat a session', () => {
    expect(applyPreferences(ordered, { pin: 'c', sessionProvider: 'b', fallback: true }, snap({ b: 'closed' }))[0]!.provider).toBe('c');
  });
});

describe('session affinity', () => {
  it('remembers until the TTL and forgets the oldest beyond its size', () => {
    const s = new SessionAffinity(1000, 2);
    s.set('x', 'a', 0);
    expect(s.get('x', 999)).toBe('a');
    expect(s.get('x', 1000)).toBeUndefined();
    s.set('1', 'a', 0);
    s.set('2', 'b', 0);
    s.set('3', 'c', 0);
    expect(s.get('1', 1)).toBeUndefined();
    expect(s.get('3', 1)).toBe('c');
  });
});

describe('prompt estimate', () => {
  it('counts text in strings and text parts, about 4 characters a token', () => {
    expect(
      estimatePromptTokens({
        messages: [
          { role: 'user', content: 'x'.repeat(40) },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'y'.repeat(8) },
              { type: 'image_url', image_url: { url: 'data:...' } },
            ],
          },
        ],
      }),
    ).toBe(12);
    expect(estimatePromptTokens({ prompt: ['abcd', 'efgh'] })).toBe(2);
    expect(requestedMaxTokens({ max_tokens: 50 })).toBe(50);
    expect(requestedMaxTokens({ max_completion_tokens: 70, max_tokens: 50 })).toBe(70);
    expect(requestedMaxTokens({})).toBeUndefined();
  });
});

describe('rate-limit headroom', () => {
  it('reads OpenAI reset durations', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('6m0s')).toBe(360_000);
    expect(parseDuration('20ms')).toBe(20);
    expect(parseDuration('1h2m3.5s')).toBe(3_723_500);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('spends the configured budget over a sliding minute', () => {
    const t = new RateLimitTracker(4, 1000);
    expect(t.requestHeadroom(0)).toBe(1);
    t.recordRequest(0);
    t.recordRequest(500);
    t.recordRequest(1000);
    expect(t.requestHeadroom(1000)).toBe(0.25);
    t.recordTokens(900, 1000);
    expect(t.tokenHeadroom(1000)).toBeCloseTo(0.1);
    expect(t.requestHeadroom(61_000)).toBe(1);
  });

  it('believes the provider’s own headers until their reset time', () => {
    const t = new RateLimitTracker();
    expect(t.requestHeadroom(0)).toBeUndefined();
    t.recordHeaders({ 'x-ratelimit-remaining-requests': '10', 'x-ratelimit-limit-requests': '100', 'x-ratelimit-reset-requests': '2s' }, 0);
    expect(t.requestHeadroom(1000)).toBe(0.1);
    expect(t.requestHeadroom(2500)).toBeUndefined();
    t.recordHeaders({ 'x-ratelimit-remaining-tokens': '0' }, 0);
    expect(t.tokenHeadroom(100)).toBe(0);
  });

  it('takes the lower of its own count and the provider’s report', () => {
    const t = new RateLimitTracker(10);
    t.recordRequest(0);
    t.recordHeaders({ 'x-ratelimit-remaining-requests': '2' }, 0);
    expect(t.requestHeadroom(10)).toBe(0.2);
  });
});

describe('rolling counter', () => {
  it('sums slices inside the window only', () => {
    const r = new RollingCounter(1000, 3, 2);
    r.add(0, 1, 0);
    r.add(1, 5, 1500);
    r.add(0, 2, 2500);
    expect([r.sum(0, 2500), r.sum(1, 2500)]).toEqual([3, 5]);
    expect(r.sum(0, 3500)).toBe(2);
    r.add(0, 7, 3100); // reuses slot 0
    expect(r.sum(0, 3100)).toBe(9);
  });
});

describe('usage ledger', () => {
  it('groups per provider or model over a period of UTC days', () => {
    const day = 86_400_000;
    const now = Date.UTC(2026, 10, 22, 12);
    const l = new UsageLedger();
    l.record(lineKey('a', 'x'), { requests: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.5 }, now);
    l.record(lineKey('b', 'x'), { requests: 1, prompt_tokens: 1, completion_tokens: 1, cost_usd: 0.25 }, now - 3 * day);
    l.record(lineKey('a', 'y'), { requests: 2, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 }, now - 40 * day);
    expect(daysOf('today', now)).toEqual(['2026-11-22']);
    expect(daysOf('week', now)).toHaveLength(7);
    expect(groupRows(l.lines('today', now), 'provider')).toEqual({ a: { requests: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.5 } });
    expect(Object.keys(groupRows(l.lines('week', now), 'provider')).sort()).toEqual(['a', 'b']);
    expect(groupRows(l.lines('all', now), 'model')).toEqual({
      x: { requests: 2, prompt_tokens: 11, completion_tokens: 6, cost_usd: 0.75 },
      y: { requests: 2, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 },
    });
  });

  it('groups per client key name, callers without a key as anonymous', () => {
    const now = Date.UTC(2026, 10, 22, 12);
    const l = new UsageLedger();
    l.record(lineKey('a', 'x', 'team-a'), { requests: 1, prompt_tokens: 10, completion_tokens: 5, cost_usd: 0.5 }, now);
    l.record(lineKey('b', 'x|odd', 'team-a'), { requests: 2, prompt_tokens: 1, completion_tokens: 1, cost_usd: 0.25 }, now);
    l.record(lineKey('a', 'y'), { requests: 1, prompt_tokens: 3, completion_tokens: 3, cost_usd: 0 }, now);
    expect(groupRows(l.lines('today', now), 'key')).toEqual({
      'team-a': { requests: 3, prompt_tokens: 11, completion_tokens: 6, cost_usd: 0.75 },
      anonymous: { requests: 1, prompt_tokens: 3, completion_tokens: 3, cost_usd: 0 },
    });
    expect(Object.keys(groupRows(l.lines('today', now), 'model')).sort()).toEqual(['x', 'x|odd', 'y']);
  });
});

/**
 * Quota-exhaustion prediction end to end: a fake upstream reports its remaining minute budget in
 * `x-ratelimit-*` headers, the gateway extrapolates the pace of the last 10 seconds (a fixed clock makes
 * it exact) and moves traffic away before the budget runs out: the upstream's 429s are never reached.
 */
import { describe, expect, it } from 'vitest';
import { ask } from '../support/ask.js';
import type { FakeUpstream, Fault } from '../support/fake-upstream.js';
import { providersYaml, type TestGateway } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const report = (remaining: number, limit: number): Fault => ({
  kind: 'ok',
  headers: { 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-limit-requests': String(limit), 'x-ratelimit-reset-requests': '60s' },
});

/**
 * alpha: 10 requests a minute, and the key is shared with someone else at the same pace: after 3 answers
 * (9, 8, 7 left) it answers 429. beta: a large budget, only a tenth of it left.
 */
async function quotaScenario(gw: TestGateway, alpha: FakeUpstream, beta: FakeUpstream): Promise<void> {
  alpha.enqueue(report(9, 10), report(8, 10), report(7, 10));
  alpha.setDefault({ kind: 'status', status: 429, retryAfter: '30' });
  beta.setDefault(report(100, 1000));
  // Learn beta's report first (a pinned request).
  expect((await ask(gw, { 'x-switchyard-provider': 'beta' })).provider).toBe('beta');
}

describe('quota-exhaustion prediction', () => {
  const ctx = useGateway(['alpha', 'beta']);
  let now = 1_000_000;
  const clock = () => now;
  const yaml =
    (strategy: string, extra = '') =>
    (f: Record<'alpha' | 'beta', FakeUpstream>) =>
      providersYaml([
        { name: 'alpha', url: f.alpha.url },
        { name: 'beta', url: f.beta.url },
      ]) + `routing:\n  strategy: ${strategy}\n${extra}`;

  it('headroom: moves traffic off a provider predicted to run out while it still has 80% left, before its first 429', async () => {
    const gw = await ctx.startGateway(yaml('headroom'), { clock });
    await quotaScenario(gw, ctx.alpha, ctx.beta);
    const served: Array<string | null> = [];
    for (let i = 0; i < 8; i++) {
      const r = await ask(gw);
      expect(r.attempts).toBe('1'); // never a failover: no 429 was met
      served.push(r.provider);
    }
    // 1st: 9 left at 1 request per 10 s: 90 s, after the reset. 2nd: 8 left at 2 per 10 s: 40 s, before the
    // reset in 60 s: predicted, so alpha goes last though its headroom (0.8) is far above beta's (0.1).
    expect(served).toEqual(['alpha', 'alpha', 'beta', 'beta', 'beta', 'beta', 'beta', 'beta']);
    expect(ctx.alpha.requests).toHaveLength(2);

    // A minute on, the report has expired and the pace is 0: alpha is first again.
    now += 61_000;
    expect((await ask(gw)).provider).toBe('alpha');
  });

  it('score, low lane: the same shift (capacity 0 once predicted), before the first 429', async () => {
    const gw = await ctx.startGateway(yaml('score', '  lanes:\n    low: { max_headroom_use: 1 }\n'), { clock });
    await quotaScenario(gw, ctx.alpha, ctx.beta);
    const served: Array<string | null> = [];
    for (let i = 0; i < 6; i++) {
      const r = await ask(gw, { 'x-switchyard-priority': 'low' });
      expect(r.attempts).toBe('1');
      served.push(r.provider);
    }
    expect(served).toEqual(['alpha', 'alpha', 'beta', 'beta', 'beta', 'beta']);
    expect(ctx.alpha.requests).toHaveLength(2);
  });
});

/**
 * The hedge budget pooled through Redis: requests counted on one instance give hedges to another, and
 * the fleet's hedges stay within max_extra_percent of the fleet's requests.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hedgeBudgetsOf } from '../../src/core/hedging.js';
import { PooledHedgeBudgets } from '../../src/state/redis-hedge-budget.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { sharedRedisUrl } from '../support/redis-server.js';

async function hedgesStarted(gw: TestGateway): Promise<number> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('switchyard_hedges_total{outcome="started"}'));
  return line ? Number(line.split(' ')[1]) : 0;
}

async function send(gw: TestGateway): Promise<string | null> {
  const { response } = await gw
    .client()
    .chat.completions.create({ model: 'budgeted', messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();
  return response.headers.get('x-switchyard-provider');
}

const sync = (gw: TestGateway) => {
  const book = hedgeBudgetsOf(gw.gateway);
  if (!(book instanceof PooledHedgeBudgets)) throw new Error('expected the budget pooled through Redis');
  return book.sync();
};

describe('hedge budget across a fleet on Redis', () => {
  let redis: { url: string; close(): Promise<void> };
  let alpha: FakeUpstream;
  let beta: FakeUpstream;
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    redis = await sharedRedisUrl();
    alpha = await FakeUpstream.start('alpha');
    beta = await FakeUpstream.start('beta');
    alpha.setDefault({ kind: 'hang' });
    const yaml =
      providersYaml([
        { name: 'alpha', url: alpha.url, extra: '    timeout_ms: 100\n' },
        { name: 'beta', url: beta.url },
      ]) +
      `redis: { url: ${redis.url}, key_prefix: "test-${randomUUID()}:" }
circuit_breaker: { failure_threshold: 1000 }
rate_limits: { sync_interval_ms: 60000 }
routing:
  routes:
    budgeted: { hedge: { after: 20, max_extra_percent: 10 } }
`;
    a = await startTestGateway(yaml);
    b = await startTestGateway(yaml);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await alpha.close();
    await beta.close();
    await redis.close();
  });

  it('lets an instance hedge on the requests the others counted, and no more than the share', async () => {
    // Alone, neither instance has the 10 requests a 10% budget needs for one hedge.
    expect(await send(b)).toBe('beta');
    for (let i = 0; i < 9; i++) expect(await send(a)).toBe('beta');
    expect(await hedgesStarted(a)).toBe(0);
    expect(await hedgesStarted(b)).toBe(0);
    await sync(a);
    await sync(b);
    // The fleet has 10 requests, and b's next makes 11: one hedge fits.
    expect(await send(b)).toBe('beta');
    expect(await hedgesStarted(b)).toBe(1);
    await sync(b);
    await sync(a);
    // 12 requests allow one hedge: the fleet has it already.
    expect(await send(a)).toBe('beta');
    expect(await hedgesStarted(a)).toBe(0);
    expect(await hedgesStarted(b)).toBe(1);
  });
});

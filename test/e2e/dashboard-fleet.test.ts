import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../src/http/dashboard/overview.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { eventually, sharedRedisUrl } from '../support/redis-server.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hello there' }] };

describe('GET /admin/overview with Redis: fleet-wide figures', () => {
  let redis: { url: string; close(): Promise<void> };
  let a: FakeUpstream;
  let b: FakeUpstream;
  let one: TestGateway;
  let two: TestGateway;

  // No admin keys: loopback clients are answered.
  const overview = async (gw: TestGateway) => (await (await fetch(`${gw.url}/admin/overview`)).json()) as Overview;

  beforeAll(async () => {
    redis = await sharedRedisUrl();
    a = await FakeUpstream.start('alpha');
    b = await FakeUpstream.start('beta');
    const yaml =
      providersYaml([
        { name: 'alpha', url: a.url, extra: '    pricing: { m: { input: 1, output: 2 } }\n' },
        { name: 'beta', url: b.url },
      ]) + `redis: { url: ${redis.url}, key_prefix: "test-${randomUUID()}:", flush_interval_ms: 100, sync_interval_ms: 500 }\ncircuit_breaker: { failure_threshold: 2, cooldown_seconds: 600 }\n`;
    one = await startTestGateway(yaml);
    two = await startTestGateway(yaml);
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await a?.close();
    await b?.close();
    await redis?.close();
  });

  it('shows on each instance the requests, cost and breakers of all, and counts the instances serving', async () => {
    for (let i = 0; i < 2; i++) await one.client().chat.completions.create(ask);
    await two.client().chat.completions.create(ask);
    // Each instance reports (and is counted) when it flushes its measurements.
    const reported = async () => {
      const o = await overview(two);
      return o.providers[0]!.today.requests === 3 && o.instances === 2;
    };
    expect(await eventually(reported)).toBe(true);
    const seen = await overview(two);
    expect(seen.source).toBe('redis');
    expect(seen.instances).toBe(2);
    expect(seen.providers[0]!.today.cost_usd).toBeGreaterThan(0);
    expect(seen.providers[0]!.latency_ms.p50).not.toBeNull();
    expect(seen.today.requests).toBe(3);

    a.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    await one.client().chat.completions.create(ask);
    await one.client().chat.completions.create(ask);
    expect(await eventually(async () => (await overview(two)).open_breakers.includes('alpha'))).toBe(true);
    expect((await overview(two)).status).toBe('degraded');
  });
});

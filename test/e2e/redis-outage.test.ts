import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { eventually, RedisServer } from '../support/redis-server.js';

describe('a Redis outage while traffic flows', () => {
  let redis: RedisServer;
  let up: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    redis = await RedisServer.start();
    up = await FakeUpstream.start('alpha');
    gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]) + `redis: { url: ${redis.url}, key_prefix: "t-${randomUUID()}:", flush_interval_ms: 100 }\n`);
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
    await redis.stop();
  });

  const metric = async (name: string) => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    return text
      .split('\n')
      .find((l) => l.startsWith(name))
      ?.split(' ')
      .pop();
  };

  it('serves every request through the outage and catches up when Redis returns', async () => {
    let ok = 0;
    let failed = 0;
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) {
        try {
          await gw.client().chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
          ok += 1;
        } catch {
          failed += 1;
        }
      }
    };
    await burst(10);
    expect(await metric('switchyard_redis_up')).toBe('1');

    await redis.stop();
    await burst(20);
    expect(await eventually(async () => (await metric('switchyard_redis_up')) === '0')).toBe(true);
    const during = (await (await fetch(`${gw.url}/stats`)).json()) as { source: string; providers: { alpha: { requests: number } } };
    expect(during.source).toBe('local');
    expect(during.providers.alpha.requests).toBe(30);
    expect(Number(await metric('switchyard_redis_errors_total'))).toBeGreaterThan(0);
    expect(gw.logs.some((l) => l.includes('redis unavailable'))).toBe(true);

    await redis.resume();
    await burst(10);
    expect(await eventually(async () => (await metric('switchyard_redis_up')) === '1', 10_000)).toBe(true);
    await gw.gateway.shared!.flush();
    const after = (await (await fetch(`${gw.url}/stats`)).json()) as { source: string; providers: { alpha: { requests: number } } };
    expect(after.source).toBe('redis');
    // Redis was restarted empty: what it holds now is what this instance flushed after the outage,
    // including the batch it kept through it (everything since the last flush before the stop).
    expect(after.providers.alpha.requests).toBeGreaterThanOrEqual(30);
    expect(failed).toBe(0);
    expect(ok).toBe(40);
  });
});

import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { eventually, sharedRedisUrl } from '../support/redis-server.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hello there' }] };

describe('two instances sharing one Redis', () => {
  let redis: { url: string; close(): Promise<void> };
  let a: FakeUpstream;
  let b: FakeUpstream;
  let one: TestGateway;
  let two: TestGateway;
  let prefix: string;
  let r: Redis;

  const health = async (gw: TestGateway) => ((await (await fetch(`${gw.url}/health`)).json()) as { providers: Record<string, { circuit: string }> }).providers;
  const served = async (gw: TestGateway) => {
    const { response } = await gw.client().chat.completions.create(ask).withResponse();
    return [response.headers.get('x-switchyard-provider'), response.headers.get('x-switchyard-attempts')];
  };

  beforeAll(async () => {
    redis = await sharedRedisUrl();
    a = await FakeUpstream.start('alpha');
    b = await FakeUpstream.start('beta');
    prefix = `test-${randomUUID()}:`;
    const yaml =
      providersYaml([
        { name: 'alpha', url: a.url, extra: '    pricing: { m: { input: 1, output: 2 } }\n' },
        { name: 'beta', url: b.url },
      ]) + `redis: { url: ${redis.url}, key_prefix: "${prefix}", flush_interval_ms: 100, sync_interval_ms: 500 }\ncircuit_breaker: { failure_threshold: 2, cooldown_seconds: 1 }\n`;
    one = await startTestGateway(yaml);
    two = await startTestGateway(yaml);
    r = new Redis(redis.url);
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    r.disconnect();
    await a.close();
    await b.close();
    await redis.close();
  });
  beforeEach(async () => {
    await fetch(`${one.url}/admin/circuit/alpha/reset`, { method: 'POST' });
    await eventually(async () => (await health(two)).alpha!.circuit === 'closed');
    a.reset();
    b.reset();
  });

  it('skips on one instance a provider whose breaker opened on the other', async () => {
    a.setDefault({ kind: 'status', status: 503 });
    expect(await served(one)).toEqual(['beta', '2']);
    expect(await served(one)).toEqual(['beta', '2']);
    expect((await health(one)).alpha!.circuit).toBe('open');
    expect(await eventually(async () => (await health(two)).alpha!.circuit === 'open')).toBe(true);
    const before = a.requests.length;
    expect(await served(two)).toEqual(['beta', '1']);
    expect(a.requests.length).toBe(before);
    expect(await r.hget(`${prefix}breaker:{alpha}`, 'state')).toBe('open');
  });

  it('closes the breaker on every instance when an operator resets it on one', async () => {
    a.setDefault({ kind: 'status', status: 503 });
    await served(two);
    await served(two);
    expect(await eventually(async () => (await health(one)).alpha!.circuit === 'open')).toBe(true);
    const res = await fetch(`${one.url}/admin/circuit/alpha/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await eventually(async () => (await health(two)).alpha!.circuit === 'closed')).toBe(true);
    a.setDefault({ kind: 'ok' });
    expect(await served(two)).toEqual(['alpha', '1']);
  });

  it('grants the half-open probe to one instance only', async () => {
    a.setDefault({ kind: 'status', status: 503 });
    await served(one);
    await served(one);
    expect(await eventually(async () => (await health(two)).alpha!.circuit === 'open')).toBe(true);
    a.reset();
    a.setDefault({ kind: 'ok', delayMs: 400 });
    // After the one-second cooldown both instances get steady traffic while the probe is out.
    await new Promise((res) => setTimeout(res, 1200));
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => served(i % 2 ? one : two)));
    expect(a.requests.length).toBe(1);
    expect(results.filter(([p]) => p === 'alpha')).toHaveLength(1);
    expect(await eventually(async () => (await health(one)).alpha!.circuit === 'closed' && (await health(two)).alpha!.circuit === 'closed')).toBe(true);
  });

  it('adds up stats, tokens, cost and usage across instances', async () => {
    const statsOf = async (gw: TestGateway) =>
      (await (await fetch(`${gw.url}/stats`)).json()) as {
        source: string;
        providers: Record<string, { requests: number; successes: number; tokens: { total: number }; cost_usd: number; latency_ms: { p50: number | null } }>;
      };
    // Earlier tests may have left unflushed numbers on either instance: settle them first.
    await one.gateway.shared!.flush();
    await two.gateway.shared!.flush();
    const base = (await statsOf(one)).providers.alpha!;
    for (let i = 0; i < 3; i++) await served(one);
    for (let i = 0; i < 2; i++) await served(two);
    await one.gateway.shared!.flush();
    await two.gateway.shared!.flush();
    for (const gw of [one, two]) {
      const s = await statsOf(gw);
      expect(s.source).toBe('redis');
      expect(s.providers.alpha!.requests - base.requests).toBe(5);
      expect(s.providers.alpha!.successes - base.successes).toBe(5);
      expect(s.providers.alpha!.tokens.total - base.tokens.total).toBe(5 * 17);
      expect(s.providers.alpha!.cost_usd - base.cost_usd).toBeCloseTo((5 * (12 * 1 + 5 * 2)) / 1e6, 9);
      expect(s.providers.alpha!.latency_ms.p50).toBeGreaterThan(0);
    }
    const usage = (await (await fetch(`${two.url}/usage?period=today&group_by=model`)).json()) as { source: string; usage: Record<string, { requests: number }> };
    expect(usage.source).toBe('redis');
    expect(usage.usage.m!.requests).toBeGreaterThanOrEqual(5);
    const fields = await r.hgetall(`${prefix}usage:${new Date().toISOString().slice(0, 10)}`);
    expect(Number(fields['alpha|m|requests'])).toBeGreaterThanOrEqual(5);
  });

  it('writes prices to Redis at start and picks up an operator’s change', async () => {
    expect(JSON.parse((await r.hget(`${prefix}pricing`, 'alpha/m'))!)).toEqual({ input: 1, output: 2 });
    await r.hset(`${prefix}pricing`, 'alpha/m', JSON.stringify({ input: 1000, output: 0 }));
    expect(await eventually(() => one.gateway.prices.get('alpha', 'm')?.input === 1000)).toBe(true);
    await r.hset(`${prefix}pricing`, 'alpha/m', JSON.stringify({ input: 1, output: 2 }));
  });
});

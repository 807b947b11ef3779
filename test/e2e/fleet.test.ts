import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { eventually, sharedRedisUrl } from '../support/redis-server.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hello there' }] };

describe('three instances, one picture', () => {
  let redis: { url: string; close(): Promise<void> };
  let a: FakeUpstream;
  let b: FakeUpstream;
  let fleet: TestGateway[];
  let prefix: string;
  let r: Redis;

  const health = async (gw: TestGateway) => ((await (await fetch(`${gw.url}/health`)).json()) as { providers: Record<string, { circuit: string }> }).providers;
  const served = async (gw: TestGateway, headers: Record<string, string> = {}) => {
    const { response } = await gw.client().chat.completions.create(ask, { headers }).withResponse();
    return response.headers.get('x-switchyard-provider');
  };
  const known = (gw: TestGateway) => gw.gateway.store.getBreaker('alpha').failures;
  const counted = async () => Number((await r.hget(`${prefix}breaker:{alpha}`, 'failures')) ?? 0);
  /** One failure of alpha on `gw` (beta answers), then every instance has heard of the fleet's count. */
  const fail = async (gw: TestGateway, expected: number) => {
    expect(await served(gw)).toBe('beta');
    expect(await eventually(async () => (await counted()) === expected && fleet.every((g) => known(g) === expected))).toBe(true);
  };

  beforeAll(async () => {
    redis = await sharedRedisUrl();
    a = await FakeUpstream.start('alpha');
    b = await FakeUpstream.start('beta');
    prefix = `test-${randomUUID()}:`;
    const yaml =
      providersYaml([
        { name: 'alpha', url: a.url },
        { name: 'beta', url: b.url },
      ]) + `redis: { url: ${redis.url}, key_prefix: "${prefix}", flush_interval_ms: 100, sync_interval_ms: 500 }\ncircuit_breaker: { failure_threshold: 3, cooldown_seconds: 30 }\n`;
    fleet = [await startTestGateway(yaml), await startTestGateway(yaml), await startTestGateway(yaml)];
    r = new Redis(redis.url);
  });
  afterAll(async () => {
    for (const gw of fleet) await gw.close();
    r.disconnect();
    await a.close();
    await b.close();
    await redis.close();
  });
  beforeEach(async () => {
    await fetch(`${fleet[0]!.url}/admin/circuit/alpha/reset`, { method: 'POST' });
    expect(await eventually(async () => (await Promise.all(fleet.map(health))).every((h) => h.alpha!.circuit === 'closed'))).toBe(true);
    a.reset();
    b.reset();
  });

  it('opens a threshold-3 breaker after 3 failures spread over 3 instances', async () => {
    const [one, two, three] = fleet as [TestGateway, TestGateway, TestGateway];
    a.setDefault({ kind: 'status', status: 503 });
    await fail(one, 1);
    await fail(two, 2);
    for (const gw of fleet) expect((await health(gw)).alpha!.circuit).toBe('closed');
    expect(await served(three)).toBe('beta');
    expect(await eventually(async () => (await Promise.all(fleet.map(health))).every((h) => h.alpha!.circuit === 'open'))).toBe(true);
    expect(await r.hget(`${prefix}breaker:{alpha}`, 'state')).toBe('open');
    const before = a.requests.length;
    for (const gw of fleet) expect(await served(gw)).toBe('beta');
    expect(a.requests.length).toBe(before);
  });

  it('resets the fleet-wide run on a success anywhere', async () => {
    const [one, two, three] = fleet as [TestGateway, TestGateway, TestGateway];
    a.setDefault({ kind: 'status', status: 503 });
    await fail(one, 1);
    await fail(two, 2);
    a.setDefault({ kind: 'ok' });
    expect(await served(three)).toBe('alpha');
    expect(await eventually(async () => (await counted()) === 0 && fleet.every((g) => known(g) === 0))).toBe(true);
    a.setDefault({ kind: 'status', status: 503 });
    await fail(one, 1);
    await fail(two, 2);
    for (const gw of fleet) expect((await health(gw)).alpha!.circuit).toBe('closed');
    expect(await served(three)).toBe('beta');
    expect(await eventually(async () => (await Promise.all(fleet.map(health))).every((h) => h.alpha!.circuit === 'open'))).toBe(true);
  });

  it('writes nothing to Redis for a healthy provider’s successes', async () => {
    const [one] = fleet as [TestGateway];
    const key = `${prefix}breaker:{alpha}`;
    // Every breaker write stamps the hash (its `at` field, or the hash's existence): unchanged means unwritten.
    const stamp = async () => JSON.stringify(await r.hgetall(key));
    // Earlier tests' background writes settle first: two equal reads 50 ms apart.
    let before = await stamp();
    for (let settled = false; !settled; ) {
      await new Promise((res) => setTimeout(res, 50));
      const again = await stamp();
      settled = again === before;
      before = again;
    }
    for (let i = 0; i < 5; i++) expect(await served(one)).toBe('alpha');
    expect(await stamp()).toBe(before);
    a.setDefault({ kind: 'status', status: 503 });
    expect(await served(one)).toBe('beta');
    expect(await eventually(async () => (await stamp()) !== before)).toBe(true); // a failure does write
  });

  it('propagates a failure count to the other instances quickly', async () => {
    const [one, two, three] = fleet as [TestGateway, TestGateway, TestGateway];
    const delays: number[] = [];
    for (let round = 0; round < 10; round++) {
      await fetch(`${one.url}/admin/circuit/alpha/reset`, { method: 'POST' });
      await eventually(() => fleet.every((g) => known(g) === 0));
      let failedAt = 0;
      const heard: number[] = [];
      const stop = new AbortController();
      one.gateway.store.onBreakerChange((p, next, prev) => {
        if (!stop.signal.aborted && p === 'alpha' && next.failures === 1 && prev.failures === 0) failedAt = performance.now();
      });
      for (const gw of [two, three]) {
        gw.gateway.store.onBreakerChange((p, next, prev) => {
          if (!stop.signal.aborted && p === 'alpha' && next.failures === 1 && prev.failures === 0) heard.push(performance.now());
        });
      }
      a.setDefault({ kind: 'status', status: 503 });
      await served(one);
      expect(await eventually(() => heard.length === 2)).toBe(true);
      stop.abort();
      delays.push(Math.max(...heard) - failedAt);
    }
    delays.sort((x, y) => x - y);
    const median = delays[Math.floor(delays.length / 2)]!;
    console.log(`failure count propagation over pub/sub: median ${median.toFixed(2)} ms, max ${delays.at(-1)!.toFixed(2)} ms`);
    expect(median).toBeLessThan(100);
  });

  it('serves a session pinned on one instance by the same provider on the others (weighted)', async () => {
    const [one, two, three] = fleet as [TestGateway, TestGateway, TestGateway];
    a.setDefault({ kind: 'ok' });
    const headers = { 'x-switchyard-strategy': 'weighted' };
    for (let s = 0; s < 4; s++) {
      const session = `conv-${randomUUID()}`;
      const pinned = await served(one, { ...headers, 'x-switchyard-session': session });
      expect(await eventually(async () => (await r.get(`${prefix}session:${session}`)) === pinned)).toBe(true);
      for (let i = 0; i < 5; i++) {
        expect(await served(two, { ...headers, 'x-switchyard-session': session })).toBe(pinned);
        expect(await served(three, { ...headers, 'x-switchyard-session': session })).toBe(pinned);
      }
    }
    // Without a session, weighted spreads the traffic over both.
    const spread = new Set<string | null>();
    for (let i = 0; i < 30; i++) spread.add(await served(two, headers));
    expect(spread).toEqual(new Set(['alpha', 'beta']));
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { eventually } from '../support/redis-server.js';
import { startCluster, startSentinel, type Topology } from '../support/redis-topologies.js';

const hi = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe.each([
  ['Cluster', startCluster],
  ['Sentinel', startSentinel],
])('two instances on a Redis %s', (_name, start) => {
  let topology: Topology;
  let a: FakeUpstream;
  let b: FakeUpstream;
  let one: TestGateway;
  let two: TestGateway;
  const health = async (gw: TestGateway) => ((await (await fetch(`${gw.url}/health`)).json()) as { providers: Record<string, { circuit: string }> }).providers;
  const served = async (gw: TestGateway) => (await gw.client().chat.completions.create(hi).withResponse()).response.headers.get('x-switchyard-provider');

  beforeAll(async () => {
    topology = await start();
    a = await FakeUpstream.start('alpha');
    b = await FakeUpstream.start('beta');
    const yaml =
      providersYaml([
        { name: 'alpha', url: a.url },
        { name: 'beta', url: b.url },
      ]) + `${topology.yaml}\ncircuit_breaker: { failure_threshold: 1, cooldown_seconds: 600 }\nrate_limits: { requests_per_minute: 1000 }\n`;
    one = await startTestGateway(yaml);
    two = await startTestGateway(yaml);
  }, 60_000);
  afterAll(async () => {
    await one?.close();
    await two?.close();
    await a?.close();
    await b?.close();
    await topology?.stop();
  });

  it('shares breakers, stats, usage and rate-limit counts', async () => {
    a.enqueue({ kind: 'status', status: 503 });
    expect(await served(one)).toBe('beta');
    expect(await eventually(async () => (await health(two)).alpha!.circuit === 'open')).toBe(true);
    expect(await served(two)).toBe('beta');
    await fetch(`${two.url}/admin/circuit/alpha/reset`, { method: 'POST' });
    expect(await eventually(async () => (await health(one)).alpha!.circuit === 'closed')).toBe(true);

    expect(await served(one)).toBe('alpha');
    expect(await served(two)).toBe('alpha');
    await one.gateway.shared!.flush();
    await two.gateway.shared!.flush();
    const stats = (await (await fetch(`${one.url}/stats`)).json()) as { source: string; providers: Record<string, { requests: number; successes: number; latency_ms: { p50: number | null } }> };
    expect(stats.source).toBe('redis');
    expect(stats.providers.alpha).toMatchObject({ requests: 3, successes: 2 });
    expect(stats.providers.alpha!.latency_ms.p50).toBeGreaterThan(0);
    expect(stats.providers.beta!.requests).toBe(2);
    const usage = (await (await fetch(`${two.url}/usage?period=all&group_by=provider`)).json()) as { source: string; total: { requests: number } };
    expect(usage.source).toBe('redis');
    expect(usage.total.requests).toBe(4);
    const metrics = await (await fetch(`${one.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_redis_up 1');
    expect(metrics).not.toMatch(/^switchyard_redis_errors_total\{/m);
  });
});

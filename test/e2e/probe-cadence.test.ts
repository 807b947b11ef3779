import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { sharedRedisUrl } from '../support/redis-server.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
const COOLDOWN_MS = 1000;
/** Well under the old cadence with Redis (a cooldown plus a whole probe lease), well over one cooldown. */
const BOUND_MS = 1.8 * COOLDOWN_MS;
const PROBES = 3;
/** How often the clients send: steady traffic, so a probe goes out as soon as one is allowed. */
const PACE_MS = 20;

/**
 * Sends steady traffic round-robin over `gateways` until the upstream has seen the request that opened
 * the breaker and `probes` probes after it, and returns the gaps between successive upstream hits. It
 * stops early when no hit came within `BOUND_MS`, and then the last gap is that wait.
 */
async function probeGaps(gateways: TestGateway[], up: FakeUpstream, probes: number): Promise<number[]> {
  const hits: number[] = [];
  for (let i = 0; hits.length <= probes; i++) {
    const before = up.requests.length;
    // Every answer is an error: 502 when the request reached the upstream, 503 while the breaker is open.
    await gateways[i % gateways.length]!.client()
      .chat.completions.create(ask)
      .catch(() => undefined);
    const now = Date.now();
    if (up.requests.length > before) hits.push(now);
    else if (hits.length > 0 && now - hits.at(-1)! > BOUND_MS) {
      hits.push(now);
      break;
    }
    await new Promise((r) => setTimeout(r, PACE_MS));
  }
  return hits.slice(1).map((t, i) => t - hits[i]!);
}

/** `redis`: the server and the key prefix the instances share. */
function yamlFor(up: FakeUpstream, redis?: { url: string; prefix: string }): string {
  // A probe timeout longer than the cooldown: the case where a probe lease outlived the cooldown.
  return (
    providersYaml([{ name: 'alpha', url: up.url, extra: '    timeout_ms: 3000\n' }]) +
    `circuit_breaker: { failure_threshold: 1, cooldown_seconds: ${COOLDOWN_MS / 1000} }\n` +
    (redis ? `redis: { url: ${redis.url}, key_prefix: "${redis.prefix}", sync_interval_ms: 500 }\n` : '')
  );
}

interface Fleet {
  name: string;
  up: FakeUpstream;
  gateways: TestGateway[];
}

describe.concurrent('half-open probes while a provider keeps failing', () => {
  const shapes = [
    { name: 'in process', instances: 1, redis: false },
    { name: 'with Redis', instances: 1, redis: true },
    { name: 'with two instances on one Redis', instances: 2, redis: true },
  ];
  const fleets = new Map<string, Fleet>();
  let redis: { url: string; close(): Promise<void> };

  // Everything starts (and is warmed up by one served request) before any timing: the cases measure
  // concurrently, and a gateway starting in one must not stall another's clock.
  beforeAll(async () => {
    redis = await sharedRedisUrl();
    for (const shape of shapes) {
      const up = await FakeUpstream.start('alpha');
      const yaml = yamlFor(up, shape.redis ? { url: redis.url, prefix: `cadence-${randomUUID()}:` } : undefined);
      const gateways: TestGateway[] = [];
      for (let i = 0; i < shape.instances; i++) gateways.push(await startTestGateway(yaml));
      for (const gw of gateways) await gw.client().chat.completions.create(ask);
      up.reset();
      up.setDefault({ kind: 'status', status: 500 });
      fleets.set(shape.name, { name: shape.name, up, gateways });
    }
  });
  afterAll(async () => {
    for (const f of fleets.values()) {
      await Promise.all(f.gateways.map((g) => g.close()));
      await f.up.close();
    }
    await redis.close();
  });

  it.each(shapes)('come about every cooldown $name', async ({ name }) => {
    const { up, gateways } = fleets.get(name)!;
    const gaps = await probeGaps(gateways, up, PROBES);
    for (const gap of gaps) expect(gap).toBeLessThan(BOUND_MS);
    expect(gaps).toHaveLength(PROBES);
  });
});

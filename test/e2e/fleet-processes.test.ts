/**
 * Three gateway processes on one Redis (a single server, then a three-master Cluster) behave as one
 * gateway: breakers counted fleet-wide, exact rate limits under a simultaneous burst, one session one
 * provider, budgets under concurrent load, one upstream call per Idempotency-Key, /stats agreeing.
 */
import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { Fleet } from '../support/fleet.js';
import { eventually, RedisServer } from '../support/redis-server.js';
import { startCluster, type Topology } from '../support/redis-topologies.js';

const TEAM = 'sk-team-fleet-0123456789abcdef';
const OPEN = 'sk-open-fleet-0123456789abcdef';
const FREE = 'sk-free-fleet-0123456789abcdef';
const LOAD = 'sk-load-fleet-0123456789abcdef';
/** 48 characters: an estimate of 12 prompt tokens, what the fake reports; with max_tokens 5, a hold of $2.20, the real cost. */
const PROMPT = 'a prompt of forty-eight characters, for the test';

const yaml = (alpha: string, beta: string, redis: string) => `
providers:
  - name: alpha
    type: openai_compatible
    base_url: ${alpha}
    api_key: sk-alpha-upstream-secret-0123
    pricing: { m: { input: 100000, output: 200000 } }
  - name: beta
    type: openai_compatible
    base_url: ${beta}
    api_key: sk-beta-upstream-secret-0123
    pricing: { m: { input: 100000, output: 200000 } }
circuit_breaker: { failure_threshold: 3, cooldown_seconds: 60 }
auth:
  keys:
    - ${FREE}
    - key: ${TEAM}
      name: team
      budget: { usd_per_day: 11 }
    - key: ${OPEN}
      name: open
      rate_limits: { requests_per_minute: 30 }
    - key: ${LOAD}
      name: load
      rate_limits: { requests_per_minute: 100000, tokens_per_minute: 10000000 }
      budget: { usd_per_day: 100000 }
logging: { level: warn }
${redis}
`;

interface Redis {
  yaml: string;
  stop(): Promise<void>;
  /** A single server: killed (SIGKILL) and started again on its port. */
  server?: RedisServer;
}

const topologies: Array<[string, () => Promise<Redis>]> = [
  [
    'one redis-server',
    async () => {
      const server = await RedisServer.start();
      return { yaml: `redis: { url: ${server.url}, key_prefix: "fleet-${randomUUID()}:", flush_interval_ms: 200 }`, stop: () => server.stop(), server };
    },
  ],
  ['a 3-master Redis Cluster', async (): Promise<Topology> => startCluster()],
];

for (const [name, start] of topologies) {
  describe(`three processes on ${name}`, () => {
    let a: FakeUpstream;
    let b: FakeUpstream;
    let redis: Redis;
    let fleet: Fleet;
    const client = (i: number, apiKey = FREE) => new OpenAI({ baseURL: `${fleet.instances[i % 3]!.url}/v1`, apiKey, maxRetries: 0 });
    const ask = { model: 'm', max_tokens: 5, messages: [{ role: 'user' as const, content: PROMPT }] };
    const status = (i: number, apiKey: string, headers: Record<string, string> = {}) =>
      client(i, apiKey)
        .chat.completions.create(ask, { headers })
        .withResponse()
        .then(
          ({ response }) => ({ status: 200, provider: response.headers.get('x-switchyard-provider') }),
          (e: { status?: number }) => ({ status: e.status ?? 0, provider: null }),
        );
    const circuits = async () =>
      Promise.all(fleet.instances.map(async (inst) => ((await (await fetch(`${inst.url}/health`)).json()) as { providers: Record<string, { circuit: string }> }).providers.alpha!.circuit));

    beforeAll(async () => {
      a = await FakeUpstream.start('alpha');
      b = await FakeUpstream.start('beta');
      redis = await start();
      // The Cluster's config has no prefix of its own: each run gets one.
      const section = redis.yaml.includes('key_prefix') ? redis.yaml : redis.yaml.replace(/ }$/, `, key_prefix: "fleet-${randomUUID()}:" }`);
      fleet = await Fleet.start(3, yaml(a.url, b.url, section));
    }, 60_000);
    afterAll(async () => {
      await fleet?.stop();
      await a?.close();
      await b?.close();
      await redis?.stop();
    });
    beforeEach(() => {
      a.reset();
      b.reset();
    });

    // First, while the fleet has served nothing: the true total is known at every step.
    it('answers /stats on every instance with the fleet’s figures, this instance’s unflushed share included', async () => {
      const total = async (i: number) =>
        Object.values(((await (await fetch(`${fleet.instances[i]!.url}/stats`)).json()) as { providers: Record<string, { requests: number }> }).providers).reduce((s, x) => s + x.requests, 0);
      let seen: number[] = [];
      const all = async (want: number) => (seen = await Promise.all([0, 1, 2].map(total))).every((n) => n === want);
      expect(await all(0)).toBe(true);
      await client(0).chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'counted' }] });
      // At once on the instance that served it, before any flush; on the others within a flush interval.
      expect(await total(0)).toBe(1);
      expect(await eventually(() => all(1), 15_000), `instances report ${seen.join(', ')}`).toBe(true);
      await client(1).chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'counted' }] });
      await client(2).chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'counted' }] });
      expect(await total(1)).toBeGreaterThanOrEqual(2);
      expect(await eventually(() => all(3), 15_000), `instances report ${seen.join(', ')}`).toBe(true);
      for (const inst of fleet.instances) for (const secret of [TEAM, OPEN, FREE, 'sk-alpha-upstream-secret-0123']) expect(inst.output()).not.toContain(secret);
    });

    it('admits a simultaneous burst of 90 across the fleet up to the limit of 30 a minute, plus at most one per instance', async () => {
      const results = await Promise.all(Array.from({ length: 90 }, (_, i) => status(i, OPEN)));
      const admitted = results.filter((r) => r.status === 200).length;
      console.log(`${name}: burst of 90 against 30/minute across 3 processes admitted ${admitted}`);
      expect(results.every((r) => r.status === 200 || r.status === 429)).toBe(true);
      expect(admitted).toBeLessThanOrEqual(33);
      expect(admitted).toBeGreaterThanOrEqual(27);
    });

    it('keeps a key within its daily budget under concurrent load, overspending by at most one request per instance', async () => {
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => status(i, TEAM)));
      const served = results.filter((r) => r.status === 200).length;
      console.log(`${name}: 30 concurrent requests of $2.20 against an $11 daily budget: ${served} served`);
      expect(results.filter((r) => r.status !== 200).every((r) => r.status === 429)).toBe(true);
      expect(served * 2.2).toBeGreaterThanOrEqual(11 - 2.2);
      expect(served * 2.2 - 11).toBeLessThan(3 * 2.2);
      // Every instance's share reaches the others within a flush interval.
      const teamRequests = async (i: number) => ((await (await fetch(`${fleet.instances[i]!.url}/usage?group_by=key`)).json()) as { usage: Record<string, { requests: number }> }).usage.team?.requests;
      expect(await eventually(async () => (await Promise.all([0, 1, 2].map(teamRequests))).every((n) => n === served))).toBe(true);
    });

    it('serves one Idempotency-Key sent to every instance at once with one upstream call', async () => {
      const key = `idem-${randomUUID()}`;
      const results = await Promise.all(
        [0, 1, 2, 0, 1, 2].map((i) =>
          client(i)
            .chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'once' }] }, { headers: { 'idempotency-key': key } })
            .then((r) => r.id),
        ),
      );
      expect(new Set(results).size).toBe(1);
      expect(a.requests.length + b.requests.length).toBe(1);
    });

    it('keeps a session on one provider whichever instance serves it (weighted)', async () => {
      const session = `conv-${randomUUID()}`;
      const headers = { 'x-switchyard-strategy': 'weighted', 'x-switchyard-session': session };
      const providers = new Set<string | null>();
      for (let i = 0; i < 15; i++)
        providers.add(
          (
            await client(i)
              .chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'turn' }] }, { headers })
              .withResponse()
          ).response.headers.get('x-switchyard-provider'),
        );
      expect(providers.size).toBe(1);
    });

    it('opens a threshold-3 breaker after 3 failures spread over the 3 instances', async () => {
      await Promise.all(fleet.instances.map((inst) => fetch(`${inst.url}/admin/circuit/alpha/reset`, { method: 'POST' })));
      expect(await eventually(async () => (await circuits()).every((c) => c === 'closed'))).toBe(true);
      a.setDefault({ kind: 'status', status: 503 });
      try {
        // Priority puts alpha first: each instance meets one failure of alpha (beta answers).
        for (let i = 0; i < 3; i++) {
          const { response } = await client(i)
            .chat.completions.create({ ...ask, messages: [{ role: 'user', content: 'probe' }] })
            .withResponse();
          expect(response.headers.get('x-switchyard-provider')).toBe('beta');
          if (i < 2) expect((await circuits()).every((c) => c === 'closed')).toBe(true);
        }
        expect(a.requests.length).toBe(3);
        expect(await eventually(async () => (await circuits()).every((c) => c === 'open'))).toBe(true);
      } finally {
        a.setDefault({ kind: 'ok' });
      }
    });

    // A Cluster node down is another kind of outage (its slots move or stay away): this one kills the single server.
    if (name !== 'one redis-server') return;
    it('serves every request while Redis is killed and restarted under load, and loses none of the usage', async () => {
      const server = redis.server!;
      const redisUp = async (want: string) => {
        const texts = await Promise.all(fleet.instances.map(async (inst) => (await fetch(`${inst.url}/metrics`)).text()));
        return texts.every((t) => t.split('\n').some((l) => l === `switchyard_redis_up ${want}`));
      };
      let stop = false;
      let ok = 0;
      const failures: unknown[] = [];
      const loop = async (n: number) => {
        for (let i = n; !stop; i += 3) {
          try {
            await client(i, LOAD).chat.completions.create({ ...ask, messages: [{ role: 'user', content: `load ${i}` }] });
            ok += 1;
          } catch (e) {
            failures.push(e);
          }
        }
      };
      const loops = [loop(0), loop(1), loop(2)];
      let atKill = 0;
      try {
        expect(await eventually(() => ok >= 30, 10_000)).toBe(true);
        atKill = ok;
        await server.stop();
        expect(await eventually(() => redisUp('0'), 10_000)).toBe(true);
        const during = ok;
        expect(await eventually(() => ok >= during + 30, 10_000)).toBe(true);
        await server.resume();
        expect(await eventually(() => redisUp('1'), 15_000)).toBe(true);
        const after = ok;
        expect(await eventually(() => ok >= after + 30, 10_000)).toBe(true);
      } finally {
        stop = true;
        await Promise.all(loops);
      }
      console.log(`${name}: ${ok} requests across a Redis kill and restart, ${failures.length} failed`);
      expect(failures).toEqual([]);
      // The restarted server is empty (nothing persisted): what the instances measured from the kill on,
      // kept while Redis was away, is all there, and every instance reads the same figure.
      const load = async (i: number) => ((await (await fetch(`${fleet.instances[i]!.url}/usage?group_by=key`)).json()) as { usage: Record<string, { requests: number }> }).usage.load?.requests ?? 0;
      expect(await eventually(async () => new Set(await Promise.all([0, 1, 2].map(load))).size === 1, 10_000)).toBe(true);
      const recorded = await load(0);
      expect(recorded).toBeGreaterThanOrEqual(ok - atKill);
      expect(recorded).toBeLessThanOrEqual(ok);
    });
  });
}

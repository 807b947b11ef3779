import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { sharedRedisUrl } from '../support/redis-server.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
const DUPLICATES = 9;
const ROUNDS = 30;
/** Keys in flight at once in a round, each with its own duplicates. */
const KEYS_PER_ROUND = 2;
/**
 * The duplicates leave 1 ms apart, so that some of them arrive just as the first one's answer is being
 * stored: the moment a look-up and a lock taken in two steps got wrong (a double call for one key in
 * ten before the fix, on every run), and the moment an atomic look-up-or-lock must get right.
 */
const SPREAD_MS = 1;

interface Answer {
  status: number;
  body: string;
}

/** `DUPLICATES` requests with one key, round-robin over `clients` (one per instance), `SPREAD_MS` apart. */
function duplicates(clients: OpenAI[], key = randomUUID()): Promise<Answer[]> {
  return Promise.all(
    Array.from({ length: DUPLICATES }, async (_, i): Promise<Answer> => {
      await new Promise((r) => setTimeout(r, i * SPREAD_MS));
      try {
        // The key also goes in `user`, which reaches the upstream: its calls can be told apart by key.
        const res = await clients[i % clients.length]!.chat.completions.create({ ...ask, user: key }, { headers: { 'idempotency-key': key } }).asResponse();
        return { status: res.status, body: await res.text() };
      } catch (err) {
        if (err instanceof OpenAI.APIError) return { status: err.status ?? 0, body: JSON.stringify(err.error) };
        throw err;
      }
    }),
  );
}

const shapes = [
  { name: 'three instances on one Redis', instances: 3, redis: true },
  { name: 'one instance without Redis', instances: 1, redis: false },
];

describe.each(shapes)('one Idempotency-Key sent concurrently to $name', ({ instances, redis: withRedis }) => {
  let up: FakeUpstream;
  let redis: { url: string; close(): Promise<void> } | undefined;
  const gateways: TestGateway[] = [];
  let clients: OpenAI[] = [];

  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
    redis = withRedis ? await sharedRedisUrl() : undefined;
    const yaml = providersYaml([{ name: 'alpha', url: up.url }]) + (redis ? `redis: { url: ${redis.url}, key_prefix: "idem-fleet-${randomUUID()}:" }\n` : '');
    for (let i = 0; i < instances; i++) gateways.push(await startTestGateway(yaml));
    clients = gateways.map((g) => g.client());
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await up.close();
    await redis?.close();
  });
  beforeEach(() => {
    up.reset(); // answers at once: where a look-up and a lock taken in two steps raced hardest
  });

  it('reaches the upstream once per key, every client getting the same body', async () => {
    const perKey: Array<{ upstreamCalls: number; statuses: number[]; distinctBodies: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const keys = Array.from({ length: KEYS_PER_ROUND }, () => randomUUID());
      const answers = await Promise.all(keys.map((key) => duplicates(clients, key)));
      keys.forEach((key, k) => {
        const upstreamCalls = up.requests.filter((q) => q.body.user === key).length;
        perKey.push({ upstreamCalls, statuses: [...new Set(answers[k]!.map((a) => a.status))], distinctBodies: new Set(answers[k]!.map((a) => a.body)).size });
      });
    }
    const once = { upstreamCalls: 1, statuses: [200], distinctBodies: 1 };
    expect(perKey.filter((k) => JSON.stringify(k) !== JSON.stringify(once))).toEqual([]);
    expect(perKey).toHaveLength(ROUNDS * KEYS_PER_ROUND);
  });

  it('lets exactly one waiting duplicate take over when the first fails upstream', async () => {
    up.enqueue({ kind: 'status', status: 503, delayMs: 100 }); // the first call fails, once the others wait
    const answers = await duplicates(clients);
    expect(up.requests).toHaveLength(2);
    expect(answers.filter((a) => a.status === 502)).toHaveLength(1);
    const served = answers.filter((a) => a.status === 200);
    expect(served).toHaveLength(DUPLICATES - 1);
    expect(new Set(served.map((a) => a.body)).size).toBe(1);
  });
});

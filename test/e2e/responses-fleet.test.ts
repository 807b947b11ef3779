/**
 * Stored Responses shared through Redis: a conversation started on one instance continues on another
 * (`previous_response_id`), and GET/DELETE work from any instance.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { sharedRedisUrl } from '../support/redis-server.js';

describe('Responses store shared by two instances on one Redis', () => {
  let up: FakeUpstream;
  let redis: { url: string; close(): Promise<void> };
  let a: TestGateway;
  let b: TestGateway;

  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
    redis = await sharedRedisUrl();
    const yaml = `${providersYaml([{ name: 'alpha', url: up.url }])}redis: { url: ${redis.url}, key_prefix: "responses-${randomUUID()}:" }\nresponses: { ttl_seconds: 600 }\n`;
    a = await startTestGateway(yaml);
    b = await startTestGateway(yaml);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await up.close();
    await redis.close();
  });

  it('continues on one instance a conversation stored by another, and reads and deletes it from either', async () => {
    const first = await a.client().responses.create({ model: 'm', input: 'first turn' });
    const second = await b.client().responses.create({ model: 'm', input: 'second turn', previous_response_id: first.id });
    expect(second.output_text).toBe('Hello from alpha');
    // The second call carried the first turn's input and output.
    const messages = up.requests.at(-1)?.body.messages as Array<{ role: string; content: unknown }>;
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(JSON.stringify(messages[0]?.content)).toContain('first turn');

    expect((await b.client().responses.retrieve(first.id)).id).toBe(first.id);
    const items = await a.client().responses.inputItems.list(second.id);
    expect(items.data.length).toBeGreaterThanOrEqual(3);
    await a.client().responses.delete(first.id);
    await expect(b.client().responses.retrieve(first.id)).rejects.toMatchObject({ status: 404 });
  });
});

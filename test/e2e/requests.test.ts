import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';

type ApiError = InstanceType<typeof OpenAI.APIError>;

describe('invalid requests get clear OpenAI-shaped 4xx errors', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  const post = (path: string, body: string, headers: Record<string, string> = {}) => fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
    gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]) + 'limits: { max_body_bytes: 2000 }\n');
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });
  beforeEach(() => up.reset());

  const cases: Array<[string, Record<string, unknown>, string | null, RegExp]> = [
    ['no messages', { model: 'm' }, 'messages', /messages: is required/],
    ['empty messages', { model: 'm', messages: [] }, 'messages', /at least one message/],
    ['no model', { messages: [{ role: 'user', content: 'x' }] }, 'model', /model: is required/],
    ['a bad role', { model: 'm', messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', /messages\[0\]\.role/],
    ['a temperature out of range', { model: 'm', messages: [{ role: 'user', content: 'x' }], temperature: 5 }, 'temperature', /temperature/],
    ['a tool message without tool_call_id', { model: 'm', messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id', /tool_call_id/],
    ['n of zero', { model: 'm', messages: [{ role: 'user', content: 'x' }], n: 0 }, 'n', /\bn\b/],
    ['stream as a string', { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: 'yes' }, 'stream', /stream/],
  ];

  it.each(cases)('400 for %s, as BadRequestError in the SDK', async (_label, body, param, message) => {
    const err = (await gw
      .client()
      .chat.completions.create(body as never)
      .catch((e: unknown) => e)) as ApiError;
    expect(err.constructor.name).toBe('BadRequestError');
    expect(err.status).toBe(400);
    expect(err.type).toBe('invalid_request_error');
    expect(err.param).toBe(param);
    expect(err.message).toMatch(message);
    expect(up.requests).toHaveLength(0);
  });

  it('400 for a completions request without a prompt', async () => {
    const err = (await gw
      .client()
      .completions.create({ model: 'm' } as never)
      .catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(400);
    expect(err.param).toBe('prompt');
  });

  it('400 for a body that is not JSON, or not an object', async () => {
    for (const body of ['{"model":', '[1,2]', '"text"', 'null']) {
      const res = await post('/v1/chat/completions', body);
      expect(res.status).toBe(400);
      const json = (await res.json()) as { error: { type: string; message: string } };
      expect(json.error.type).toBe('invalid_request_error');
      expect(res.headers.get('x-request-id')).toBeTruthy();
    }
  });

  it('413 for a body over the limit', async () => {
    const res = await post('/v1/chat/completions', JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x'.repeat(5000) }] }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('request_too_large');
  });

  it('404 in the envelope for an unknown URL or method', async () => {
    const err = (await gw
      .client()
      .post('/no-such-endpoint', { body: {} })
      .catch((e: unknown) => e)) as ApiError;
    expect(err.constructor.name).toBe('NotFoundError');
    expect(err.message).toMatch(/Unknown request URL: POST \/v1\/no-such-endpoint/);
    const get = await fetch(`${gw.url}/v1/chat/completions`);
    expect(get.status).toBe(404);
    expect(((await get.json()) as { error: { code: string } }).error.code).toBe('unknown_url');
  });

  it('accepts content parts, tool calls and nulls where the spec allows them', async () => {
    const res = await gw.client().chat.completions.create({
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'be brief' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'a cat' },
      ],
      tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object', properties: {} } } }],
      max_tokens: null,
    });
    expect(res.choices[0]?.message.content).toBe('Hello from alpha');
    expect((up.requests[0]!.body.messages as unknown[]).length).toBe(4);
  });
});

describe('a gateway with no usable provider', () => {
  it('starts, and answers 503 in the envelope', async () => {
    const gw = await startTestGateway('providers:\n  - name: a\n    type: openai\n    base_url: http://127.0.0.1:9/v1\n    api_key: ${MISSING_KEY}\n');
    try {
      const err = (await gw
        .client()
        .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e)) as ApiError;
      expect(err.status).toBe(503);
      expect(err.code).toBe('no_providers');
      expect(gw.logs.join('\n')).toMatch(/MISSING_KEY is not set/);
      expect(gw.logs.join('\n')).toMatch(/no usable provider/);
      const health = await fetch(`${gw.url}/health`);
      expect(health.status).toBe(503);
    } finally {
      await gw.close();
    }
  });
});

describe('client and admin auth', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
    gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]) + 'auth: { keys: [client-key-1], admin_keys: [admin-key-1] }\n');
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });

  it('requires a client key on /v1 when auth.keys is set', async () => {
    const err = (await gw
      .client({ apiKey: 'wrong' })
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as ApiError;
    expect(err.constructor.name).toBe('AuthenticationError');
    const ok = await gw.client({ apiKey: 'client-key-1' }).chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    expect(ok.choices[0]?.message.content).toBe('Hello from alpha');
  });

  it('requires an admin key on /admin when auth.admin_keys is set, even from loopback', async () => {
    const none = await fetch(`${gw.url}/admin/circuit/alpha/reset`, { method: 'POST' });
    expect(none.status).toBe(401);
    const client = await fetch(`${gw.url}/admin/circuit/alpha/reset`, { method: 'POST', headers: { authorization: 'Bearer client-key-1' } });
    expect(client.status).toBe(401);
    const admin = await fetch(`${gw.url}/admin/circuit/alpha/reset`, { method: 'POST', headers: { authorization: 'Bearer admin-key-1' } });
    expect(admin.status).toBe(200);
  });

  it('keeps /health and /metrics public', async () => {
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(200);
  });
});

/**
 * What Claude Code and the Anthropic SDKs need around `POST /v1/messages`, with the official
 * `@anthropic-ai/sdk` client: `count_tokens` (forwarded to an anthropic provider, or estimated),
 * `GET /v1/models` in Anthropic's shape, and session affinity from `x-claude-code-session-id`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { estimateInputTokens } from '../../src/http/anthropic/token-estimate.js';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const CLIENT_KEY = 'client-key-0123';
const CLAUDE_KEY = 'sk-ant-claude-secret-0123456789';

let alpha: FakeUpstream;
let beta: FakeUpstream;
let claude: FakeAnthropic;
let gw: TestGateway;

beforeAll(async () => {
  [alpha, beta, claude] = await Promise.all([FakeUpstream.start('alpha'), FakeUpstream.start('beta'), FakeAnthropic.start('claude')]);
  gw = await startTestGateway(`providers:
  - { name: claude, type: anthropic, base_url: ${claude.url}, api_key: ${CLAUDE_KEY}, models: [claude-test], timeout_ms: 2000 }
  - { name: alpha, type: openai_compatible, base_url: ${alpha.url}, api_key: sk-alpha-secret-0123456789, models: [gpt-test], timeout_ms: 2000 }
  - { name: beta, type: openai_compatible, base_url: ${beta.url}, api_key: sk-beta-secret-0123456789, models: [gpt-test], timeout_ms: 2000 }
models:
  claude-sonnet-4-5: [ { provider: claude, model: claude-test } ]
  claude-elsewhere: [ { provider: alpha, model: gpt-test } ]
routing: { strategy: weighted }
circuit_breaker: { failure_threshold: 1000 }
auth: { keys: [${CLIENT_KEY}] }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([alpha.close(), beta.close(), claude.close()]);
});
beforeEach(() => {
  for (const f of [alpha, beta, claude]) f.reset();
});

const client = () => new Anthropic({ baseURL: gw.url, apiKey: CLIENT_KEY, maxRetries: 0 });
const ask = { messages: [{ role: 'user' as const, content: 'How many tokens is this sentence?' }], system: 'Be terse.' };

describe('POST /v1/messages/count_tokens', () => {
  it('forwards the caller’s bytes to an anthropic provider and passes its count back', async () => {
    const { data, response } = await client()
      .messages.countTokens({ model: 'claude-test', ...ask })
      .withResponse();
    expect(data).toEqual({ input_tokens: FakeAnthropic.COUNTED });
    expect(response.headers.get('x-switchyard-provider')).toBe('claude');
    expect(response.headers.get('x-switchyard-estimate')).toBeNull();
    const sent = claude.requests.at(-1)!;
    expect(sent.path).toBe('/v1/messages/count_tokens');
    expect(sent.headers['x-api-key']).toBe(CLAUDE_KEY);
    expect(sent.headers['anthropic-version']).toBe('2023-06-01');
    expect(sent.body).toEqual({ model: 'claude-test', ...ask });
  });

  it('takes the beta call (?beta=true) with its anthropic-beta header', async () => {
    const data = await client().beta.messages.countTokens({ model: 'claude-test', ...ask, betas: ['context-management-2025-06-27'] });
    expect(data).toEqual({ input_tokens: FakeAnthropic.COUNTED });
    expect(claude.requests.at(-1)!.headers['anthropic-beta']).toContain('context-management-2025-06-27');
  });

  it('follows a models: alias to an anthropic provider, with the upstream model name', async () => {
    const data = await client().messages.countTokens({ model: 'claude-sonnet-4-5', ...ask });
    expect(data.input_tokens).toBe(FakeAnthropic.COUNTED);
    expect(claude.requests.at(-1)!.body.model).toBe('claude-test');
  });

  it('estimates (characters / 4) with x-switchyard-estimate when only other providers serve the model', async () => {
    for (const model of ['gpt-test', 'claude-elsewhere']) {
      const { data, response } = await client()
        .messages.countTokens({ model, ...ask })
        .withResponse();
      expect(response.headers.get('x-switchyard-estimate')).toBe('true');
      expect(data.input_tokens).toBe(estimateInputTokens({ model, ...ask }));
      expect(data.input_tokens).toBe(Math.ceil(('Be terse.'.length + 'user'.length + ask.messages[0]!.content.length) / 4));
    }
    expect(alpha.requests).toHaveLength(0);
    expect(claude.requests).toHaveLength(0);
  });

  it('passes an upstream error back in Anthropic’s envelope, its key redacted', async () => {
    claude.enqueue({ kind: 'status', status: 400, message: `bad key echo ${CLAUDE_KEY}` });
    const err = await client()
      .messages.countTokens({ model: 'claude-test', ...ask })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(JSON.stringify(e.error)).not.toContain(CLAUDE_KEY);
    expect(JSON.stringify(e.error)).toContain('[redacted]');
  });

  it('refuses an unknown model, a body without messages, and a wrong client key in Anthropic’s envelope', async () => {
    const unknown = await client()
      .messages.countTokens({ model: 'no-such-model', ...ask })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });

    const res = await fetch(`${gw.url}/v1/messages/count_tokens`, { method: 'POST', headers: { 'x-api-key': CLIENT_KEY, 'content-type': 'application/json' }, body: '{"model":"claude-test"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: Field required' } });

    const anon = await new Anthropic({ baseURL: gw.url, apiKey: 'wrong-key', maxRetries: 0 }).messages.countTokens({ model: 'claude-test', ...ask }).catch((e: unknown) => e);
    expect(anon).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(claude.requests).toHaveLength(0);
  });
});

describe('GET /v1/models with anthropic-version', () => {
  it('lists every model in Anthropic’s shape', async () => {
    const page = await client().models.list();
    const ids = page.data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude-test', 'gpt-test', 'claude-sonnet-4-5', 'claude-elsewhere']));
    for (const m of page.data) {
      expect(m).toEqual({ id: m.id, type: 'model', display_name: m.id, created_at: new Date(gw.gateway.startedAt).toISOString() });
    }
    expect(page.has_more).toBe(false);
    expect(page.first_id).toBe(ids[0]);
    expect(page.last_id).toBe(ids.at(-1));
    expect(page.hasNextPage()).toBe(false);
  });

  it('describes one model, and refuses an unknown one in Anthropic’s envelope', async () => {
    const m = await client().models.retrieve('claude-sonnet-4-5');
    expect(m).toEqual({ id: 'claude-sonnet-4-5', type: 'model', display_name: 'claude-sonnet-4-5', created_at: new Date(gw.gateway.startedAt).toISOString() });
    const err = await client()
      .models.retrieve('no-such-model')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.NotFoundError);
    expect((err as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
  });

  it('keeps the OpenAI shape without the header', async () => {
    const res = await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    const body = (await res.json()) as { object: string; data: Array<{ object: string }> };
    expect(body.object).toBe('list');
    expect(body.data[0]?.object).toBe('model');
    const one = await fetch(`${gw.url}/v1/models/gpt-test`, { headers: { authorization: `Bearer ${CLIENT_KEY}` } });
    expect(await one.json()).toMatchObject({ id: 'gpt-test', object: 'model' });
  });
});

describe('session affinity from x-claude-code-session-id', () => {
  const turn = (headers: Record<string, string>) =>
    client()
      .messages.create({ model: 'gpt-test', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }, { headers })
      .withResponse()
      .then(({ response }) => response.headers.get('x-switchyard-provider'));

  it('keeps a conversation on its provider under the weighted strategy', async () => {
    const served: Array<string | null> = [];
    for (let i = 0; i < 12; i++) served.push(await turn({ 'x-claude-code-session-id': 'cc-session-1' }));
    expect(new Set(served).size).toBe(1);
    expect(['alpha', 'beta']).toContain(served[0]);
  });

  it('lets x-switchyard-session win when both are sent', async () => {
    expect(await turn({ 'x-switchyard-session': 'sy-a', 'x-switchyard-provider': 'alpha' })).toBe('alpha');
    expect(await turn({ 'x-claude-code-session-id': 'cc-b', 'x-switchyard-provider': 'beta' })).toBe('beta');
    for (let i = 0; i < 5; i++) expect(await turn({ 'x-switchyard-session': 'sy-a', 'x-claude-code-session-id': 'cc-b' })).toBe('alpha');
    for (let i = 0; i < 5; i++) expect(await turn({ 'x-claude-code-session-id': 'cc-b' })).toBe('beta');
  });
});

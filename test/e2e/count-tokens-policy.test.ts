/**
 * `POST /v1/messages/count_tokens` under a client key's policy, with the official `@anthropic-ai/sdk`:
 * the key's model allow-list holds as on `/v1/messages`, and a `client_keys` provider is sent the
 * caller's own key (a `passthrough` one is skipped without it; the estimate answers instead).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const TEAM_KEY = 'client-team-0123456789';
const OPEN_KEY = 'client-open-0123456789';
const CLAUDE_KEY = 'sk-ant-gateway-secret-0123456789';
const OWN_KEY = 'sk-ant-caller-own-9876543210';

let shared: FakeAnthropic;
let own: FakeAnthropic;
let gw: TestGateway;

beforeAll(async () => {
  [shared, own] = await Promise.all([FakeAnthropic.start('shared'), FakeAnthropic.start('own')]);
  gw = await startTestGateway(`providers:
  - { name: shared, type: anthropic, base_url: ${shared.url}, api_key: ${CLAUDE_KEY}, models: [claude-shared], timeout_ms: 2000 }
  - { name: own, type: anthropic, base_url: ${own.url}, client_keys: passthrough, models: [claude-own], timeout_ms: 2000 }
auth:
  keys:
    - { key: ${TEAM_KEY}, name: team, models: [claude-shared] }
    - { key: ${OPEN_KEY}, name: open }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([shared.close(), own.close()]);
});
beforeEach(() => {
  shared.reset();
  own.reset();
});

const ask = { messages: [{ role: 'user' as const, content: 'Count me.' }] };
const client = (apiKey: string, headers: Record<string, string> = {}) => new Anthropic({ baseURL: gw.url, apiKey, maxRetries: 0, defaultHeaders: headers });

describe('count_tokens under a client key’s policy', () => {
  it('refuses a model outside the key’s allow-list with 403 in Anthropic’s envelope, and sends nothing upstream', async () => {
    const err = await client(TEAM_KEY)
      .messages.countTokens({ model: 'claude-own', ...ask })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.PermissionDeniedError);
    const e = err as InstanceType<typeof Anthropic.PermissionDeniedError>;
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'permission_error' } });
    expect(JSON.stringify(e.error)).toContain('claude-own');
    expect(own.requests).toHaveLength(0);
    expect(shared.requests).toHaveLength(0);

    const allowed = await client(TEAM_KEY).messages.countTokens({ model: 'claude-shared', ...ask });
    expect(allowed.input_tokens).toBe(FakeAnthropic.COUNTED);
    expect(shared.requests.at(-1)!.headers['x-api-key']).toBe(CLAUDE_KEY);
  });

  it('sends the caller’s own key to a passthrough provider, never the gateway’s', async () => {
    const { data, response } = await client(OPEN_KEY, { 'x-switchyard-provider-key-own': OWN_KEY })
      .messages.countTokens({ model: 'claude-own', ...ask })
      .withResponse();
    expect(data.input_tokens).toBe(FakeAnthropic.COUNTED);
    expect(response.headers.get('x-switchyard-provider')).toBe('own');
    expect(own.requests.at(-1)!.headers['x-api-key']).toBe(OWN_KEY);
    expect(shared.requests).toHaveLength(0);
  });

  it('skips a passthrough provider when the caller sent no key of its own, and estimates instead', async () => {
    const { data, response } = await client(OPEN_KEY)
      .messages.countTokens({ model: 'claude-own', ...ask })
      .withResponse();
    expect(response.headers.get('x-switchyard-estimate')).toBe('true');
    expect(data.input_tokens).toBeGreaterThan(0);
    expect(own.requests).toHaveLength(0);
  });

  it('redacts the caller’s own key from a provider’s error', async () => {
    own.enqueue({ kind: 'status', status: 401, message: `invalid x-api-key ${OWN_KEY}` });
    const err = await client(OPEN_KEY, { 'x-switchyard-provider-key-own': OWN_KEY })
      .messages.countTokens({ model: 'claude-own', ...ask })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    const body = JSON.stringify((err as InstanceType<typeof Anthropic.AuthenticationError>).error);
    expect(body).not.toContain(OWN_KEY);
    expect(body).toContain('[redacted]');
  });
});

/**
 * The caller's own vendor key (`client_keys: passthrough | fallback`) end to end, through the openai SDK
 * and, at /v1/messages, the Anthropic SDK: which key reaches which upstream, skips, breakers, redaction.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ask, askFailing } from '../support/ask.js';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeUpstream } from '../support/fake-upstream.js';
import type { TestGateway } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const USER_KEY = 'sk-user-own-key-0123456789';
const TEAM_KEY = 'sk-team-secret-0123456789';
const GATEWAY_KEY = 'gw-client-key-0123456789';

const yaml = (f: Record<'own' | 'team' | 'hybrid', FakeUpstream>, extra = '') => `providers:
  - { name: own, type: openai_compatible, base_url: ${f.own.url}, client_keys: passthrough }
  - { name: hybrid, type: openai_compatible, base_url: ${f.hybrid.url}, api_key: sk-hybrid-team-0123456789, client_keys: fallback }
  - { name: team, type: openai_compatible, base_url: ${f.team.url}, api_key: ${TEAM_KEY} }
routing: { strategy: priority, max_retry_after_ms: 0 }
circuit_breaker: { failure_threshold: 1 }
${extra}`;

const authOf = (fake: FakeUpstream) => fake.requests.map((r) => r.headers.authorization);
const healthOf = async (gw: TestGateway, provider: string) => ((await (await fetch(`${gw.url}/health`)).json()) as { providers: Record<string, { circuit: string }> }).providers[provider]?.circuit;

describe('client_keys without gateway client keys: Authorization is the vendor key', () => {
  const ctx = useGateway(['own', 'hybrid', 'team'], (f) => yaml(f));

  it("passthrough sends the caller's key to that provider only", async () => {
    const r = await ask(ctx.gw, {}, USER_KEY);
    expect(r.provider).toBe('own');
    expect(authOf(ctx.own)).toEqual([`Bearer ${USER_KEY}`]);
  });

  it("a refused caller key fails over without opening the provider's breaker, and never reaches another provider's keys", async () => {
    ctx.own.enqueue({ kind: 'status', status: 401 });
    ctx.hybrid.enqueue({ kind: 'status', status: 500 });
    const r = await ask(ctx.gw, {}, USER_KEY);
    expect(r.provider).toBe('team');
    expect(r.attempts).toBe('3');
    // failure_threshold is 1: the 401 to the caller's key did not count, the 500 did.
    expect(await healthOf(ctx.gw, 'own')).toBe('closed');
    expect(await healthOf(ctx.gw, 'hybrid')).toBe('open');
    expect(authOf(ctx.team)).toEqual([`Bearer ${TEAM_KEY}`]);
    await fetch(`${ctx.gw.url}/admin/circuit/hybrid/reset`, { method: 'POST' });
  });

  it("fallback: the team's key first; after its 429, the caller's key on the same provider", async () => {
    ctx.hybrid.enqueue({ kind: 'status', status: 429 });
    const r = await ask(ctx.gw, { 'x-switchyard-provider': 'hybrid', 'x-switchyard-fallback': 'false' }, USER_KEY);
    expect(r.provider).toBe('hybrid');
    expect(r.attempts).toBe('2');
    expect(authOf(ctx.hybrid)).toEqual(['Bearer sk-hybrid-team-0123456789', `Bearer ${USER_KEY}`]);
    expect(await healthOf(ctx.gw, 'hybrid')).toBe('closed');
  });

  it("removes the caller's key from an upstream error passed back, and from the logs", async () => {
    ctx.own.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { message: `Bad request with key ${USER_KEY}`, type: 'invalid_request_error', param: null, code: null } }) });
    const err = await askFailing(ctx.gw, {}, USER_KEY);
    expect(err.status).toBe(400);
    expect(err.message).toContain('Bad request with key [redacted]');
    expect(err.message).not.toContain(USER_KEY);
    expect(ctx.gw.logs.join('\n')).not.toContain(USER_KEY);
  });
});

describe('client_keys with gateway client keys (auth.keys): the vendor key travels in its own header', () => {
  const ctx = useGateway(['own', 'hybrid', 'team'], (f) => yaml(f, `auth: { keys: [${GATEWAY_KEY}] }\n`));

  it('without a provider key, the passthrough provider is skipped (not failed) and says why when nothing is left', async () => {
    const r = await ask(ctx.gw, {}, GATEWAY_KEY);
    expect(r.provider).toBe('hybrid');
    expect(ctx.own.requests).toHaveLength(0);
    // The gateway key is not a vendor key: hybrid got its own team key.
    expect(authOf(ctx.hybrid)).toEqual(['Bearer sk-hybrid-team-0123456789']);

    const err = await askFailing(ctx.gw, { 'x-switchyard-provider': 'own', 'x-switchyard-fallback': 'false' }, GATEWAY_KEY);
    expect(err.status).toBe(401);
    expect(err.code).toBe('caller_key_required');
    expect(err.message).toContain("own (gpt-4o-mini): skipped, needs the caller's own key (client_keys: passthrough)");
    expect(await healthOf(ctx.gw, 'own')).toBe('closed');
  });

  it('x-switchyard-provider-key-<provider> reaches that provider only; the skip shows among what was tried', async () => {
    const r = await ask(ctx.gw, { 'x-switchyard-provider-key-own': USER_KEY }, GATEWAY_KEY);
    expect(r.provider).toBe('own');
    expect(authOf(ctx.own)).toEqual([`Bearer ${USER_KEY}`]);

    ctx.hybrid.enqueue({ kind: 'status', status: 500 });
    ctx.team.enqueue({ kind: 'status', status: 500 });
    const err = await askFailing(ctx.gw, { 'x-switchyard-provider-key-hybrid': USER_KEY }, GATEWAY_KEY);
    expect(err.status).toBe(502);
    expect(err.message).toContain('own (gpt-4o-mini): skipped, needs the caller');
    // hybrid's own key worked well enough to get a 500: the caller's key is only for a refused or limited one.
    expect(authOf(ctx.hybrid)).toEqual(['Bearer sk-hybrid-team-0123456789']);
    expect(authOf(ctx.team)).toEqual([`Bearer ${TEAM_KEY}`]);
    expect([...authOf(ctx.own), ...authOf(ctx.team)]).not.toContain(`Bearer ${GATEWAY_KEY}`);
  });
});

describe('the Anthropic SDK at /v1/messages brings its own key (x-api-key)', () => {
  let claude: FakeAnthropic;
  const ctx = useGateway([]);
  beforeAll(async () => {
    claude = await FakeAnthropic.start('claude');
  });
  afterAll(async () => {
    await claude.close();
  });

  it('reaches an anthropic provider with client_keys: passthrough as its x-api-key', async () => {
    const gw = await ctx.startGateway(`providers:\n  - { name: claude, type: anthropic, base_url: ${claude.url}, models: [claude-test], client_keys: passthrough }\n`);
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'sk-ant-user-0123456789', maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'claude-test', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.type).toBe('message');
    expect(claude.requests.map((r) => r.headers['x-api-key'])).toEqual(['sk-ant-user-0123456789']);
  });
});

describe("the caller's own key rate limited everywhere", () => {
  const ctx = useGateway(['own'], (f) => `providers:\n  - { name: own, type: openai_compatible, base_url: ${f.own.url}, client_keys: passthrough }\nrouting: { max_retry_after_ms: 0 }\n`);

  it("answers 429 upstream_rate_limited with the provider's Retry-After, not a 502", async () => {
    ctx.own.enqueue({ kind: 'status', status: 429, retryAfter: '7' });
    const e = await askFailing(ctx.gw, {}, USER_KEY);
    expect(e.status).toBe(429);
    expect(e.code).toBe('upstream_rate_limited');
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(e.message).not.toContain(USER_KEY);
  });
});

describe("the caller's own key on the /v1/* pass-through", () => {
  const ctx = useGateway(
    ['byok', 'team'],
    (f) => `providers:\n  - { name: byok, type: openai, base_url: ${f.byok.url}, client_keys: passthrough }\n  - { name: team, type: openai, base_url: ${f.team.url}, api_key: ${TEAM_KEY} }\n`,
  );
  const files = (headers: Record<string, string>) => fetch(`${ctx.gw.url}/v1/files`, { headers });

  it("sends the caller's key to the client_keys provider and nothing of it to another", async () => {
    // The fakes know no /v1/files (404): a GET fails over, so each provider's request shows its key.
    await files({ authorization: `Bearer ${USER_KEY}`, 'x-api-key': 'sk-not-for-upstreams' });
    expect(authOf(ctx.byok)).toEqual([`Bearer ${USER_KEY}`]);
    expect(ctx.byok.requests[0]?.headers['x-api-key']).toBeUndefined();
    expect(authOf(ctx.team)).toEqual([`Bearer ${TEAM_KEY}`]);
    expect(ctx.team.requests[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('skips it without the caller key, for the next provider with its own key', async () => {
    const res = await files({});
    expect(res.headers.get('x-switchyard-provider')).toBe('team');
    expect(ctx.byok.requests).toHaveLength(0);
    expect(authOf(ctx.team)).toEqual([`Bearer ${TEAM_KEY}`]);
  });

  it("fails over from a 401 to the caller's key without opening its breaker", async () => {
    ctx.byok.enqueue({ kind: 'status', status: 401, body: JSON.stringify({ error: { message: `bad key ${USER_KEY}` } }) });
    const res = await files({ authorization: `Bearer ${USER_KEY}` });
    expect(res.headers.get('x-switchyard-provider')).toBe('team');
    expect(await healthOf(ctx.gw, 'byok')).toBe('closed');
    expect(await res.text()).not.toContain(USER_KEY);
  });
});

/**
 * Bring your own client: real `openai` and `@anthropic-ai/sdk` clients, configured as a user would,
 * pointed at the fake upstreams; switchyard routes across them like config providers (chat, failover,
 * errors, breakers, keys, chain order, aliases). Streams: library-byoc-streams.test.ts.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { type GatewayEventMap, Switchyard, SwitchyardError } from '../../src/index.js';
import { ANTHROPIC_KEY, byocSetting, messages, OPENAI_KEY, recordEvents } from '../support/byoc.js';
import { FakeUpstream } from '../support/fake-upstream.js';

describe('Switchyard with the caller’s own SDK clients', () => {
  const t = byocSetting();

  it('chats through the openai client: its key and base URL, the answer with routing and cost', async () => {
    const s = await t.create();
    const answer = await s.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.choices[0]?.message.content).toBe('Hello from gpt');
    expect(answer.routing).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', attempts: 1, fallback: false });
    expect(answer.routing.costUsd).toBeCloseTo((12 * 1 + 5 * 2) / 1e6, 12);
    expect(t.gpt.requests[0]?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(t.gpt.requests[0]?.headers['x-request-id']).toMatch(/^req_/);
    expect(t.claude.requests).toHaveLength(0);
  });

  it('chats through the anthropic client, translated both ways', async () => {
    const s = await t.create();
    const answer = await s.chat({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be terse.' }, ...messages] }, { provider: 'claude' });
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0]?.message.content).toBe('Hello from claude');
    expect(answer.routing).toMatchObject({ provider: 'claude', model: 'claude-haiku-4-5' });
    expect(answer.routing.costUsd).toBeCloseTo((12 * 3 + 5 * 4) / 1e6, 12);
    const sent = t.claude.requests[0];
    expect(sent?.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(sent?.body).toMatchObject({ model: 'claude-haiku-4-5', system: 'Be terse.', messages: [{ role: 'user' }], max_tokens: 4096 });
  });

  it.each([
    ['503', (f: FakeUpstream) => f.enqueue({ kind: 'status', status: 503 }), /^HTTP 503/],
    ['429', (f: FakeUpstream) => f.enqueue({ kind: 'status', status: 429, retryAfter: '60' }), /^HTTP 429/],
    ['a reset connection', (f: FakeUpstream) => f.enqueue({ kind: 'reset' }), /^connection reset/],
  ])('fails over from the openai client on %s to the anthropic client, with events in order', async (_, fault, reason) => {
    const s = await t.create();
    const events = recordEvents(s, ['route', 'failure', 'failover', 'success']);
    fault(t.gpt);
    const answer = await s.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.choices[0]?.message.content).toBe('Hello from claude');
    expect(answer.routing).toMatchObject({ provider: 'claude', attempts: 2, fallback: true });
    expect(answer.routing.tried.map((a) => `${a.provider}:${a.result}`)).toEqual(['openai:failure', 'claude:success']);
    expect(events.map(([n]) => n)).toEqual(['route', 'failure', 'failover', 'success']);
    expect(events[2]?.[1]).toMatchObject({ from: 'openai', to: 'claude', reason: expect.stringMatching(reason) });
  });

  it('fails over when the openai client cannot connect (refused)', async () => {
    const s = await t.create({ openaiUrl: t.refusedUrl });
    const events = recordEvents(s, ['failover']);
    const answer = await s.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.routing).toMatchObject({ provider: 'claude', fallback: true });
    expect(events).toEqual([['failover', expect.objectContaining({ from: 'openai', to: 'claude', reason: expect.stringMatching(/^connection failed: ECONNREFUSED/) })]]);
  });

  it('passes a 400 from the client back as a SwitchyardError with its status, without failing over', async () => {
    const s = await t.create();
    const events = recordEvents(s, ['failover']);
    t.gpt.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { message: 'messages: bad role', type: 'invalid_request_error', param: 'messages', code: null } }) });
    const err = await s.chat({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', message: 'messages: bad role' });
    expect(t.claude.requests).toHaveLength(0);
    expect(events).toEqual([]);
    expect((await s.status()).openai).toMatchObject({ breaker: 'closed', failures: 0 });
  });

  it('passes a 400 from the anthropic client back as OpenAI’s error', async () => {
    const s = await t.create();
    t.claude.enqueue({ kind: 'status', status: 400, message: 'max_tokens: too large' });
    const err = await s.chat({ model: 'gpt-4o-mini', messages }, { provider: 'claude', fallback: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SwitchyardError', status: 400, type: 'invalid_request_error', message: 'max_tokens: too large' });
  });

  it('opens the breaker after failure_threshold client failures, then skips the client', async () => {
    const s = await t.create({ threshold: 2 });
    const breakers: Array<GatewayEventMap['breaker']> = [];
    s.on('breaker', (e) => breakers.push(e));
    t.claude.enqueue({ kind: 'status', status: 529 }, { kind: 'status', status: 529 });
    for (let i = 0; i < 2; i++) expect((await s.chat({ model: 'gpt-4o-mini', messages }, { provider: 'claude' })).routing.provider).toBe('openai');
    expect(breakers).toEqual([{ provider: 'claude', from: 'closed', to: 'open' }]);
    const status = await s.status();
    expect(status.claude).toMatchObject({ breaker: 'open', failures: 2 });
    expect(status.openai).toMatchObject({ breaker: 'closed' });
    const third = await s.chat({ model: 'gpt-4o-mini', messages }, { provider: 'claude' });
    expect(third.routing.tried.map((a) => `${a.provider}:${a.result}`)).toEqual(['claude:skipped', 'openai:success']);
    expect(t.claude.requests).toHaveLength(2);
  });

  it('aborts a chat through the SDK when the call’s signal fires while the provider is silent', async () => {
    const controller = new AbortController();
    const fetch: typeof globalThis.fetch = (input, init) => {
      setImmediate(() => controller.abort());
      return globalThis.fetch(input, init);
    };
    const s = await t.only([
      { name: 'slow', client: t.openaiClient(t.gpt.url, fetch) },
      { name: 'claude', client: t.anthropicClient() },
    ]);
    t.gpt.enqueue({ kind: 'hang' });
    const err = await s.chat({ model: 'gpt-4o-mini', messages }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SwitchyardError', code: 'request_aborted' });
    expect(t.claude.requests).toHaveLength(0);
  });

  it('never shows the client’s key in an error, even when the provider echoes it', async () => {
    const s = await t.create();
    const echo = (key: string) => `Incorrect API key provided: ${key}`;
    t.gpt.enqueue({ kind: 'status', status: 401, body: JSON.stringify({ error: { message: echo(OPENAI_KEY), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }) });
    t.claude.enqueue({ kind: 'status', status: 401, message: echo(ANTHROPIC_KEY) });
    const err = await s.chat({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ status: 502, code: 'all_providers_failed' });
    const shown = `${(err as Error).message} ${JSON.stringify(err)} ${String((err as Error).stack)}`;
    expect(shown).toContain('Incorrect API key provided');
    expect(shown).not.toContain(OPENAI_KEY);
    expect(shown).not.toContain(ANTHROPIC_KEY);
  });

  it('puts clients with a priority first, and serves aliases across clients and config providers', async () => {
    const beta = await FakeUpstream.start('beta');
    try {
      const config = {
        providers: [{ name: 'beta', type: 'openai_compatible', base_url: beta.url, api_key: 'sk-beta-0123456789' }],
        models: {
          fast: [
            { provider: 'claude', model: 'claude-haiku-4-5' },
            { provider: 'beta', model: 'gpt-4o-mini' },
          ],
        },
      };
      const s = await t.only(
        [
          { name: 'late', client: t.openaiClient() },
          { name: 'first', client: t.openaiClient(), priority: 1 },
          { name: 'claude', client: t.anthropicClient() },
        ],
        config,
      );
      const answer = await s.chat({ model: 'gpt-4o-mini', messages });
      expect(answer.routing.provider).toBe('first');
      t.claude.enqueue({ kind: 'status', status: 503 });
      const aliased = await s.chat({ model: 'fast', messages });
      expect(aliased.routing.tried.map((a) => `${a.provider}/${a.model}:${a.result}`)).toEqual(['claude/claude-haiku-4-5:failure', 'beta/gpt-4o-mini:success']);
      expect(Object.keys(await s.status()).sort()).toEqual(['beta', 'claude', 'first', 'late']);
    } finally {
      await beta.close();
    }
  });

  it('takes clients beside a config file, whose fallback_chain may name them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'switchyard-byoc-')), 'config.yaml');
    const yaml = [
      'providers:',
      '  - name: direct',
      '    type: openai_compatible',
      `    base_url: ${t.gpt.url}`,
      '    api_key: sk-direct-0123456789',
      'routing:',
      '  fallback_chain: [claude, direct]',
      '',
    ];
    writeFileSync(file, yaml.join('\n'));
    t.switchyard = await Switchyard.create({ config: file, clients: [{ name: 'claude', client: t.anthropicClient() }] });
    const first = await t.switchyard.chat({ model: 'gpt-4o-mini', messages });
    expect(first.routing).toMatchObject({ provider: 'claude', model: 'gpt-4o-mini' });
    t.claude.enqueue({ kind: 'status', status: 503 });
    const second = await t.switchyard.chat({ model: 'gpt-4o-mini', messages });
    expect(second.routing).toMatchObject({ provider: 'direct', fallback: true });
    expect(t.gpt.requests[0]?.headers.authorization).toBe('Bearer sk-direct-0123456789');
  });

  it('refuses something that is not a client, naming it', async () => {
    const notAClient = { chat: {} } as unknown as OpenAI;
    await expect(Switchyard.create({ config: { providers: [] }, clients: [{ name: 'odd', client: notAClient }] })).rejects.toThrow(/clients\[0\] \("odd"\)/);
  });
});

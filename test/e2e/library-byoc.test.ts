/**
 * Bring your own client: real `openai` and `@anthropic-ai/sdk` clients, configured by the test as a
 * user would, pointed at the fake upstreams; switchyard routes across them like config providers.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ClientProvider, type GatewayEventMap, type GatewayEventName, Switchyard, SwitchyardError } from '../../src/index.js';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeUpstream } from '../support/fake-upstream.js';

const messages = [{ role: 'user', content: 'hi' }];
const OPENAI_KEY = 'sk-user-openai-key-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-user-key-0123456789abcdef';

describe('Switchyard with the caller’s own SDK clients', () => {
  let gpt: FakeUpstream;
  let claude: FakeAnthropic;
  let refusedUrl: string;
  let switchyard: Switchyard | undefined;

  beforeAll(async () => {
    gpt = await FakeUpstream.start('gpt');
    claude = await FakeAnthropic.start('claude');
    const gone = await FakeUpstream.start('gone');
    refusedUrl = gone.url;
    await gone.close();
  });
  afterAll(async () => {
    await gpt.close();
    await claude.close();
  });
  afterEach(async () => {
    await switchyard?.close();
    switchyard = undefined;
    gpt.reset();
    claude.reset();
  });

  const openaiClient = (baseURL = gpt.url) => new OpenAI({ baseURL, apiKey: OPENAI_KEY, maxRetries: 0 });
  const anthropicClient = (fetch?: typeof globalThis.fetch) => new Anthropic({ baseURL: claude.url.replace(/\/v1$/, ''), apiKey: ANTHROPIC_KEY, maxRetries: 0, ...(fetch ? { fetch } : {}) });

  const create = async (o: { openaiUrl?: string; threshold?: number; config?: Record<string, unknown>; claudeFetch?: typeof globalThis.fetch } = {}) => {
    const clients: ClientProvider[] = [
      { name: 'openai', client: openaiClient(o.openaiUrl), models: ['gpt-4o-mini'], pricing: { 'gpt-4o-mini': { input: 1, output: 2 } }, timeout_ms: 5000 },
      { name: 'claude', client: anthropicClient(o.claudeFetch), default_model: 'claude-haiku-4-5', pricing: { 'claude-haiku-4-5': { input: 3, output: 4 } } },
    ];
    switchyard = await Switchyard.create({
      config: { routing: { strategy: 'priority' }, providers: [], circuit_breaker: { failure_threshold: o.threshold ?? 1000 }, ...o.config },
      clients,
    });
    return switchyard;
  };

  /** Records events by name, in order. */
  const record = (s: Switchyard, names: readonly GatewayEventName[]) => {
    const events: Array<[GatewayEventName, unknown]> = [];
    for (const name of names) s.on(name, (e: GatewayEventMap[typeof name]) => events.push([name, e]));
    return events;
  };

  it('chats through the openai client: its key and base URL, the answer with routing and cost', async () => {
    const s = await create();
    const answer = await s.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.choices[0]?.message.content).toBe('Hello from gpt');
    expect(answer.routing).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', attempts: 1, fallback: false });
    expect(answer.routing.costUsd).toBeCloseTo((12 * 1 + 5 * 2) / 1e6, 12);
    expect(gpt.requests[0]?.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(gpt.requests[0]?.headers['x-request-id']).toMatch(/^req_/);
    expect(claude.requests).toHaveLength(0);
  });

  it('chats through the anthropic client, translated both ways', async () => {
    const s = await create();
    const answer = await s.chat({ model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Be terse.' }, ...messages] }, { provider: 'claude' });
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0]?.message.content).toBe('Hello from claude');
    expect(answer.routing).toMatchObject({ provider: 'claude', model: 'claude-haiku-4-5' });
    expect(answer.routing.costUsd).toBeCloseTo((12 * 3 + 5 * 4) / 1e6, 12);
    const sent = claude.requests[0];
    expect(sent?.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(sent?.body).toMatchObject({ model: 'claude-haiku-4-5', system: 'Be terse.', messages: [{ role: 'user' }], max_tokens: 4096 });
  });

  it.each([
    ['openai', 'gpt-4o-mini', 'Hello from gpt'],
    ['claude', 'claude-haiku-4-5', 'Hello from claude'],
  ])('streams through the %s client with onChunk, usage and routing', async (provider, model, text) => {
    const s = await create();
    const seen: string[] = [];
    const stream = s.stream({ model: 'gpt-4o-mini', messages, stream_options: { include_usage: true } }, { provider, onChunk: (c) => seen.push(c.choices[0]?.delta.content ?? '') });
    let got = '';
    let usage: unknown;
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      got += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(got).toBe(text);
    expect(seen.join('')).toBe(text);
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5 });
    expect(await stream.routing).toMatchObject({ provider, model, attempts: 1 });
  });

  it.each([
    ['503', (f: FakeUpstream) => f.enqueue({ kind: 'status', status: 503 }), /^HTTP 503/],
    ['429', (f: FakeUpstream) => f.enqueue({ kind: 'status', status: 429, retryAfter: '60' }), /^HTTP 429/],
    ['a reset connection', (f: FakeUpstream) => f.enqueue({ kind: 'reset' }), /^connection reset/],
  ])('fails over from the openai client on %s to the anthropic client, with events in order', async (_, fault, reason) => {
    const s = await create();
    const events = record(s, ['route', 'failure', 'failover', 'success']);
    fault(gpt);
    const answer = await s.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.choices[0]?.message.content).toBe('Hello from claude');
    expect(answer.routing).toMatchObject({ provider: 'claude', attempts: 2, fallback: true });
    expect(answer.routing.tried.map((t) => `${t.provider}:${t.result}`)).toEqual(['openai:failure', 'claude:success']);
    expect(events.map(([n]) => n)).toEqual(['route', 'failure', 'failover', 'success']);
    expect(events[2]?.[1]).toMatchObject({ from: 'openai', to: 'claude', reason: expect.stringMatching(reason) });
  });

  it('fails over when the openai client cannot connect (refused)', async () => {
    const s = await create({ openaiUrl: refusedUrl });
    const events = record(s, ['failover']);
    const answer = await s.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.routing).toMatchObject({ provider: 'claude', fallback: true });
    expect(events).toEqual([['failover', expect.objectContaining({ from: 'openai', to: 'claude', reason: expect.stringMatching(/^connection failed: ECONNREFUSED/) })]]);
  });

  it('fails over a stream whose openai client fails before its first chunk', async () => {
    const s = await create();
    gpt.enqueue({ kind: 'status', status: 500 });
    const stream = s.stream({ model: 'gpt-4o-mini', messages });
    let got = '';
    for await (const chunk of stream) got += chunk.choices[0]?.delta.content ?? '';
    expect(got).toBe('Hello from claude');
    expect(await stream.routing).toMatchObject({ provider: 'claude', fallback: true });
  });

  it('fails over an anthropic stream whose first event is an error event', async () => {
    const s = await create();
    claude.enqueue({ kind: 'stream_error', textEvents: 0, errorType: 'overloaded_error', message: 'Overloaded' });
    const stream = s.stream({ model: 'gpt-4o-mini', messages }, { provider: 'claude' });
    let got = '';
    for await (const chunk of stream) got += chunk.choices[0]?.delta.content ?? '';
    expect(got).toBe('Hello from gpt');
    const routing = await stream.routing;
    expect(routing.tried.map((t) => `${t.provider}:${t.result}`)).toEqual(['claude:failure', 'openai:success']);
  });

  /** Iterates a stream to its end; the text it gave and what it threw. */
  const drain = async (stream: AsyncIterable<{ choices: Array<{ delta: { content?: string | null } }> }>) => {
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    return { text, err };
  };

  it.each([
    ['openai', 'cut', (): void => void gpt.enqueue({ kind: 'reset_after_chunks', chunks: 2 })],
    ['openai', 'ended early without [DONE]', (): void => void gpt.enqueue({ kind: 'truncate_after_chunks', chunks: 2 })],
    ['claude', 'cut', (): void => void claude.enqueue({ kind: 'reset_after_events', events: 5, text: 'one two three four' })],
    ['claude', 'ended early without message_stop', (): void => void claude.enqueue({ kind: 'truncate_after_events', events: 5, text: 'one two three four' })],
    ['claude', 'sent an error event mid-way', (): void => void claude.enqueue({ kind: 'stream_error', textEvents: 2, errorType: 'overloaded_error', message: 'Overloaded' })],
  ])('ends a %s stream that was %s after its first chunk with an error, never silently', async (provider, _, fault) => {
    const s = await create();
    const failures: Array<GatewayEventMap['failure']> = [];
    s.on('failure', (e) => failures.push(e));
    fault();
    const stream = s.stream({ model: 'gpt-4o-mini', messages }, { provider, fallback: false });
    const { text, err } = await drain(stream);
    expect(text.length).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ status: 502 });
    await expect(stream.routing).rejects.toBeInstanceOf(SwitchyardError);
    expect(failures.map((f) => f.provider)).toEqual([provider]);
  });

  it('passes a 400 from the client back as a SwitchyardError with its status, without failing over', async () => {
    const s = await create();
    const events = record(s, ['failover']);
    gpt.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { message: 'messages: bad role', type: 'invalid_request_error', param: 'messages', code: null } }) });
    const err = await s.chat({ model: 'gpt-4o-mini', messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ status: 400, type: 'invalid_request_error', message: 'messages: bad role' });
    expect(claude.requests).toHaveLength(0);
    expect(events).toEqual([]);
    expect((await s.status()).openai).toMatchObject({ breaker: 'closed', failures: 0 });
  });

  it('passes a 400 from the anthropic client back as OpenAI’s error', async () => {
    const s = await create();
    claude.enqueue({ kind: 'status', status: 400, message: 'max_tokens: too large' });
    const err = await s.chat({ model: 'gpt-4o-mini', messages }, { provider: 'claude', fallback: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SwitchyardError', status: 400, type: 'invalid_request_error', message: 'max_tokens: too large' });
  });

  it('opens the breaker after failure_threshold client failures, then skips the client', async () => {
    const s = await create({ threshold: 2 });
    const breakers: Array<GatewayEventMap['breaker']> = [];
    s.on('breaker', (e) => breakers.push(e));
    claude.enqueue({ kind: 'status', status: 529 }, { kind: 'status', status: 529 });
    for (let i = 0; i < 2; i++) expect((await s.chat({ model: 'gpt-4o-mini', messages }, { provider: 'claude' })).routing.provider).toBe('openai');
    expect(breakers).toEqual([{ provider: 'claude', from: 'closed', to: 'open' }]);
    const status = await s.status();
    expect(status.claude).toMatchObject({ breaker: 'open', failures: 2 });
    expect(status.openai).toMatchObject({ breaker: 'closed' });
    const third = await s.chat({ model: 'gpt-4o-mini', messages }, { provider: 'claude' });
    expect(third.routing.tried.map((t) => `${t.provider}:${t.result}`)).toEqual(['claude:skipped', 'openai:success']);
    expect(claude.requests).toHaveLength(2);
  });

  it('aborts a stream through the SDK (and the user’s own fetch) when the call’s signal fires mid-way', async () => {
    const signals: AbortSignal[] = [];
    const claudeFetch: typeof globalThis.fetch = (input, init) => {
      if (init?.signal) signals.push(init.signal);
      return globalThis.fetch(input, init);
    };
    const s = await create({ claudeFetch });
    claude.enqueue({ kind: 'ok', text: 'one two three four five six', chunkDelayMs: 200 });
    const controller = new AbortController();
    const stream = s.stream({ model: 'gpt-4o-mini', messages }, { provider: 'claude', signal: controller.signal, onChunk: () => controller.abort() });
    const got: unknown[] = [];
    const err = await (async () => {
      for await (const chunk of stream) got.push(chunk);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SwitchyardError', code: 'request_aborted' });
    await expect(stream.routing).rejects.toBeInstanceOf(SwitchyardError);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThan(6);
    // The request the SDK made through the user's fetch is aborted (a test that hangs here has failed).
    expect(signals).toHaveLength(1);
    const fetchSignal = signals[0]!;
    await new Promise<void>((resolve) => (fetchSignal.aborted ? resolve() : fetchSignal.addEventListener('abort', () => resolve())));
    expect(claude.requests).toHaveLength(1);
  });

  it('never shows the client’s key in an error, even when the provider echoes it', async () => {
    const s = await create();
    const echo = (key: string) => `Incorrect API key provided: ${key}`;
    gpt.enqueue({ kind: 'status', status: 401, body: JSON.stringify({ error: { message: echo(OPENAI_KEY), type: 'invalid_request_error', param: null, code: 'invalid_api_key' } }) });
    claude.enqueue({ kind: 'status', status: 401, message: echo(ANTHROPIC_KEY) });
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
      switchyard = await Switchyard.create({
        config,
        clients: [
          { name: 'late', client: openaiClient() },
          { name: 'first', client: openaiClient(), priority: 1 },
          { name: 'claude', client: anthropicClient() },
        ],
      });
      const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages });
      expect(answer.routing.provider).toBe('first');
      claude.enqueue({ kind: 'status', status: 503 });
      const aliased = await switchyard.chat({ model: 'fast', messages });
      expect(aliased.routing.tried.map((t) => `${t.provider}/${t.model}:${t.result}`)).toEqual(['claude/claude-haiku-4-5:failure', 'beta/gpt-4o-mini:success']);
      expect(Object.keys(await switchyard.status()).sort()).toEqual(['beta', 'claude', 'first', 'late']);
    } finally {
      await beta.close();
    }
  });

  it('refuses something that is not a client, naming it', async () => {
    const notAClient = { chat: {} } as unknown as OpenAI;
    await expect(Switchyard.create({ config: { providers: [] }, clients: [{ name: 'odd', client: notAClient }] })).rejects.toThrow(/clients\[0\] \("odd"\)/);
  });
});

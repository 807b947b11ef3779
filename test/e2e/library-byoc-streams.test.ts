/**
 * Bring your own client, streaming: real `openai` and `@anthropic-ai/sdk` clients' streams through
 * switchyard: chunks and usage, failover before the first chunk, every other end (a cut, an early end,
 * an error event, silence, an abort) an error, and aborts that reach the SDK's request.
 */
import { describe, expect, it } from 'vitest';
import { type GatewayEventMap, SwitchyardError } from '../../src/index.js';
import { aborted, byocSetting, drain, messages } from '../support/byoc.js';

describe('Streams through the caller’s own SDK clients', () => {
  const t = byocSetting();

  it.each([
    ['openai', 'gpt-4o-mini', 'Hello from gpt'],
    ['claude', 'claude-haiku-4-5', 'Hello from claude'],
  ])('streams through the %s client with onChunk, usage and routing', async (provider, model, text) => {
    const s = await t.create();
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

  it('fails over a stream whose openai client fails before its first chunk', async () => {
    const s = await t.create();
    t.gpt.enqueue({ kind: 'status', status: 500 });
    const stream = s.stream({ model: 'gpt-4o-mini', messages });
    let got = '';
    for await (const chunk of stream) got += chunk.choices[0]?.delta.content ?? '';
    expect(got).toBe('Hello from claude');
    expect(await stream.routing).toMatchObject({ provider: 'claude', fallback: true });
  });

  it('fails over an anthropic stream whose first event is an error event', async () => {
    const s = await t.create();
    t.claude.enqueue({ kind: 'stream_error', textEvents: 0, errorType: 'overloaded_error', message: 'Overloaded' });
    const stream = s.stream({ model: 'gpt-4o-mini', messages }, { provider: 'claude' });
    let got = '';
    for await (const chunk of stream) got += chunk.choices[0]?.delta.content ?? '';
    expect(got).toBe('Hello from gpt');
    const routing = await stream.routing;
    expect(routing.tried.map((a) => `${a.provider}:${a.result}`)).toEqual(['claude:failure', 'openai:success']);
  });

  it.each([
    ['openai', 'cut', () => t.gpt.enqueue({ kind: 'reset_after_chunks', chunks: 2 })],
    ['openai', 'ended early without [DONE]', () => t.gpt.enqueue({ kind: 'truncate_after_chunks', chunks: 2 })],
    ['claude', 'cut', () => t.claude.enqueue({ kind: 'reset_after_events', events: 5, text: 'one two three four' })],
    ['claude', 'ended early without message_stop', () => t.claude.enqueue({ kind: 'truncate_after_events', events: 5, text: 'one two three four' })],
    ['claude', 'sent an error event mid-way', () => t.claude.enqueue({ kind: 'stream_error', textEvents: 2, errorType: 'overloaded_error', message: 'Overloaded' })],
  ])('ends a %s stream that was %s after its first chunk with an error, never silently', async (provider, _, fault) => {
    const s = await t.create();
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

  it('aborts a stream through the SDK (and the user’s own fetch) when the call’s signal fires mid-way', async () => {
    const signals: AbortSignal[] = [];
    const claudeFetch: typeof globalThis.fetch = (input, init) => {
      if (init?.signal) signals.push(init.signal);
      return globalThis.fetch(input, init);
    };
    const s = await t.create({ claudeFetch });
    t.claude.enqueue({ kind: 'ok', text: 'one two three four five six', chunkDelayMs: 200 });
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
    await aborted(signals[0]);
    expect(t.claude.requests).toHaveLength(1);
  });

  it('aborts the client’s stream when the call is aborted after the answer started, before its first chunk', async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    // The user's fetch: the call is aborted once the answer's headers have come (and the SDK has made its Stream).
    const fetch: typeof globalThis.fetch = async (input, init) => {
      if (init?.signal) signals.push(init.signal);
      const res = await globalThis.fetch(input, init);
      setImmediate(() => controller.abort());
      return res;
    };
    const s = await t.only([{ name: 'slow', client: t.openaiClient(t.gpt.url, fetch) }]);
    t.gpt.enqueue({ kind: 'raw', writes: [': thinking\n\n'], gapMs: 60_000 });
    const { text, err } = await drain(s.stream({ model: 'gpt-4o-mini', messages }, { signal: controller.signal }));
    expect(text).toBe('');
    expect(err).toMatchObject({ name: 'SwitchyardError', code: 'request_aborted' });
    await aborted(signals[0]);
  });

  it('ends a stream whose provider falls silent for longer than timeout_ms after its first chunk', async () => {
    const s = await t.only([{ name: 'openai', client: t.openaiClient(), timeout_ms: 300 }]);
    const chunk = { id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hel' }, finish_reason: null }] };
    t.gpt.enqueue({ kind: 'raw', writes: [`data: ${JSON.stringify(chunk)}\n\n`, 'data: [DONE]\n\n'], gapMs: 60_000 });
    const { text, err } = await drain(s.stream({ model: 'gpt-4o-mini', messages }));
    expect(text).toBe('Hel');
    expect(err).toMatchObject({ name: 'SwitchyardError', status: 502, message: expect.stringContaining('UPSTREAM_IDLE_TIMEOUT') });
  });
});

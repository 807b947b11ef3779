/**
 * However an upstream's bytes are chunked (the whole body in one write, one byte per write, or cut inside
 * multi-byte characters, inside `data:` and between `\r` and `\n`), the client's stream carries the same
 * answer and ends when the upstream's does. And an Anthropic stream cut mid-way ends the client's stream
 * with exactly one error event. Every request carries a deadline: a stream that never ends fails its test
 * with a clear message instead of holding the suite.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeGemini } from '../support/fake-gemini.js';
import { FakeOllama } from '../support/fake-ollama.js';
import type { Chunking } from '../support/fake-server.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const TEXT = 'héllo 世界 🎉';
const DEADLINE_MS = 3000;
const TEST_TIMEOUT_MS = 5000;

/** Offsets inside every multi-byte character, inside every `data:`, and between every `\r` and `\n`. */
function awkward(body: Buffer): number[] {
  const at: number[] = [];
  body.forEach((b, i) => {
    if (b >= 0xc0) at.push(i + 1);
    if (b === 0x0a) at.push(i);
  });
  for (let i = body.indexOf('data:'); i >= 0; i = body.indexOf('data:', i + 1)) at.push(i + 2);
  return at;
}

const CHUNKINGS: Array<[string, Chunking]> = [
  ['the whole body in one write', 'whole'],
  ['one byte per write', 'bytes'],
  ['cuts inside characters, `data:` and line ends', awkward],
];

const yaml = (claude: FakeAnthropic, gem: FakeGemini, llama: FakeOllama) =>
  'providers:\n' +
  `  - name: claude\n    type: anthropic\n    base_url: ${claude.url}\n    api_key: sk-ant-test\n    models: [claude-test]\n    timeout_ms: 2000\n` +
  `  - name: gem\n    type: gemini\n    base_url: ${gem.url}\n    api_key: gem-test\n    models: [gemini-test]\n    timeout_ms: 2000\n` +
  `  - name: llama\n    type: ollama\n    base_url: ${llama.url}\n    models: [llama-test]\n    timeout_ms: 2000\n` +
  'circuit_breaker: { failure_threshold: 1000 }\n';

/**
 * Asks `model` for a stream and reads it to its end as the SDK gives it: the text, the tool calls (name
 * and arguments), the last finish_reason and the number of chunks. Not done by the deadline: a failure.
 */
async function streamed(client: OpenAI, model: string): Promise<{ text: string; calls: string[]; finish: string | null | undefined; chunks: number }> {
  let text = '';
  const calls: string[] = [];
  let finish: string | null | undefined;
  let chunks = 0;
  try {
    const stream = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: AbortSignal.timeout(DEADLINE_MS) });
    for await (const c of stream) {
      chunks++;
      text += c.choices[0]?.delta.content ?? '';
      for (const t of c.choices[0]?.delta.tool_calls ?? []) calls[t.index] = (calls[t.index] ?? '') + (t.function?.name ?? '') + (t.function?.arguments ?? '');
      if (c.choices[0]) finish = c.choices[0].finish_reason;
    }
  } catch (err) {
    if (err instanceof OpenAI.APIUserAbortError) throw new Error(`the stream had not ended after ${DEADLINE_MS} ms (got ${JSON.stringify(text)} so far)`);
    throw err;
  }
  return { text, calls, finish, chunks };
}

describe('upstream bytes in any chunking, through the gateway', () => {
  let claude: FakeAnthropic;
  let gem: FakeGemini;
  let llama: FakeOllama;
  let gw: TestGateway;

  beforeAll(async () => {
    [claude, gem, llama] = await Promise.all([FakeAnthropic.start('claude'), FakeGemini.start('gem'), FakeOllama.start('llama')]);
    gw = await startTestGateway(yaml(claude, gem, llama));
  });
  afterAll(async () => {
    await gw.close();
    await Promise.all([claude.close(), gem.close(), llama.close()]);
  });
  beforeEach(() => {
    claude.reset();
    gem.reset();
    llama.reset();
  });

  describe.each(CHUNKINGS)('%s', (_label, chunks) => {
    it('Anthropic: the whole text, finish_reason stop, and the end', { timeout: TEST_TIMEOUT_MS }, async () => {
      claude.enqueue({ kind: 'ok', text: TEXT, chunks });
      expect(await streamed(gw.client(), 'claude-test')).toEqual({ text: TEXT, calls: [], finish: 'stop', chunks: 5 });
    });

    it('Anthropic: a tool call, finish_reason tool_calls', { timeout: TEST_TIMEOUT_MS }, async () => {
      claude.enqueue({ kind: 'tool', text: TEXT, calls: [{ name: 'get_weather', input: { city: 'Zürich' } }], chunks });
      expect(await streamed(gw.client(), 'claude-test')).toEqual({ text: TEXT, calls: ['get_weather{"city":"Zürich"}'], finish: 'tool_calls', chunks: 8 });
    });

    it('Gemini: the whole text, finish_reason stop, and the end', { timeout: TEST_TIMEOUT_MS }, async () => {
      gem.enqueue({ kind: 'ok', text: TEXT, chunks });
      expect(await streamed(gw.client(), 'gemini-test')).toEqual({ text: TEXT, calls: [], finish: 'stop', chunks: 5 });
    });

    it('Ollama: the whole text, finish_reason stop, and the end', { timeout: TEST_TIMEOUT_MS }, async () => {
      llama.enqueue({ kind: 'ok', text: TEXT, chunks });
      expect(await streamed(gw.client(), 'llama-test')).toEqual({ text: TEXT, calls: [], finish: 'stop', chunks: 5 });
    });
  });

  describe('an Anthropic stream cut after message_start and two text deltas', () => {
    /** The raw SSE body the client gets, read with plain fetch to its end (or the deadline). */
    async function rawStream(): Promise<{ events: string[]; body: string }> {
      const res = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer client-key' },
        body: JSON.stringify({ model: 'claude-test', messages: [{ role: 'user', content: 'hi' }], stream: true }),
        signal: AbortSignal.timeout(DEADLINE_MS),
      });
      expect(res.status).toBe(200);
      const body = await res.text().catch((err: unknown) => {
        throw new Error(`the stream had not ended after ${DEADLINE_MS} ms`, { cause: err });
      });
      return { body, events: body.split('\n\n').filter((e) => e !== '') };
    }

    const text = (events: string[]) =>
      events
        .map((e) => JSON.parse(e.slice('data: '.length)) as { choices?: Array<{ delta: { content?: string } }> })
        .map((c) => c.choices?.[0]?.delta.content ?? '')
        .join('');

    const cuts = [
      ['dropped', 'reset_after_events', /connection to the provider failed mid-stream/],
      ['ended cleanly without message_stop', 'truncate_after_events', /ended before message_stop/],
    ] as const;
    const writes: Array<[string, Chunking | undefined]> = [
      ['one write per event', undefined],
      ['all of it in one write', 'whole'],
      ['one byte per write', 'bytes'],
    ];
    // message_start, ping, content_block_start, "héllo", " 世界": five events, then the cut.
    describe.each(cuts)('%s', (_cut, kind, message) => {
      it.each(writes)('sent %s: the text so far, exactly one error event, no [DONE], and the end', { timeout: TEST_TIMEOUT_MS }, async (_how, chunks) => {
        claude.enqueue({ kind, events: 5, text: TEXT, ...(chunks ? { chunks } : {}) });
        const { body, events } = await rawStream();
        for (const e of events) expect(e.startsWith('data: ')).toBe(true);
        const errors = events.filter((e) => e.startsWith('data: {"error":'));
        expect(errors, body).toHaveLength(1);
        expect(errors[0]).toMatch(message);
        expect(events.at(-1)).toBe(errors[0]);
        expect(body).not.toContain('data: [DONE]');
        expect(text(events)).toBe('héllo 世界');
      });
    });
  });
});

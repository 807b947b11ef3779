/**
 * Every translator (Anthropic events, Gemini SSE, Ollama NDJSON → OpenAI SSE) gives the same output
 * however the upstream bytes are cut: whole, one byte at a time, in two at every offset (inside a UTF-8
 * character, inside `data:`, between `\r` and `\n`), and at random. The bytes go in as the adapters feed
 * them: raw Buffers for Anthropic; for Gemini and Ollama through a body with `setEncoding('utf8')` (as
 * their adapters do) and also as raw Buffers.
 */
import { pipeline, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { AnthropicStreamTranslator, anthropicToOpenAIStream } from '../../src/providers/anthropic/stream.js';
import { GeminiStreamTranslator, openAIStream } from '../../src/providers/gemini/stream.js';
import { OllamaStreamTranslator, ollamaToOpenAIStream } from '../../src/providers/ollama/stream.js';

const TEXT = ['héllo', ' 世界', ' 🎉'];
const ARGS = '{"city":"Zürich"}';

interface Output {
  /** The whole output, decoded at once. */
  text: string;
  /** Each chunk the translator emitted, decoded on its own. */
  chunks: string[];
  error?: Error;
}

type Run = (pieces: readonly Buffer[]) => Promise<Output>;

/** The body as an upstream response: the pieces one by one, then the end (or `fail`, as a socket error). */
function body(pieces: readonly Buffer[], fail?: Error, encoding?: 'utf8'): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    yield* pieces;
    if (fail) throw fail;
  }
  const r = Readable.from(gen(), { objectMode: false });
  if (encoding) r.setEncoding(encoding);
  return r;
}

function drain(out: Readable): Promise<Output> {
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const result = (error?: Error): Output => ({
    text: Buffer.concat(chunks).toString('utf8'),
    chunks: chunks.map((c) => c.toString('utf8')),
    ...(error ? { error } : {}),
  });
  return new Promise((resolve) => {
    out.once('end', () => resolve(result()));
    out.once('error', (err) => resolve(result(err)));
  });
}

const reset = (): Error => Object.assign(new Error('aborted'), { code: 'ECONNRESET' });

const anthropic =
  (fail?: Error): Run =>
  (pieces) =>
    drain(anthropicToOpenAIStream(body(pieces, fail), new AnthropicStreamTranslator({ includeUsage: true, nowMs: 1_700_000_000_000, model: 'claude-x' })));

const ctx = () => {
  let n = 0;
  return { id: 'chatcmpl-g', created: 1_700_000_000, model: 'gemini-x', newToolCallId: () => `call_${n++}`, includeUsage: true };
};
const gemini =
  (encoding?: 'utf8'): Run =>
  (pieces) =>
    drain(pipeline(body(pieces, undefined, encoding), openAIStream(new GeminiStreamTranslator(ctx())), () => undefined));

const ollamaIds = { completion: 'chatcmpl-o', toolCall: (i: number) => `call_${i}` };
const ollama =
  (encoding?: 'utf8'): Run =>
  (pieces) =>
    drain(pipeline(body(pieces, undefined, encoding), ollamaToOpenAIStream(new OllamaStreamTranslator({ model: 'llama', includeUsage: true, ids: ollamaIds })), () => undefined));

/** Cuts at these byte offsets. */
function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const to of [...at, bytes.length]) {
    out.push(bytes.subarray(from, to));
    from = to;
  }
  return out;
}

/** A small seeded generator (mulberry32): the random splits are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whole, one byte at a time, in two at every offset, and 100 random splits. */
function* splits(bytes: Buffer): Generator<{ how: string; pieces: Buffer[] }> {
  yield { how: 'whole', pieces: [bytes] };
  yield { how: 'one byte at a time', pieces: [...bytes].map((b) => Buffer.from([b])) };
  for (let i = 1; i < bytes.length; i++) yield { how: `two pieces at ${i}`, pieces: cut(bytes, [i]) };
  const rnd = random(42);
  for (let n = 0; n < 100; n++) {
    const at = [...new Set(Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => 1 + Math.floor(rnd() * (bytes.length - 1))))].sort((a, b) => a - b);
    yield { how: `random cut at ${at.join(',')}`, pieces: cut(bytes, at) };
  }
}

interface Summary {
  content: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
  finish: string | null;
  usage: unknown;
  errors: unknown[];
  /** `data: [DONE]` is the last event. */
  done: boolean;
}

/** Reads OpenAI SSE text as the SDK would; every event must be one whole `data:` line. */
function summarize(sse: string): Summary {
  expect(sse.endsWith('\n\n')).toBe(true);
  const events = sse.slice(0, -2).split('\n\n');
  const s: Summary = { content: '', toolCalls: [], finish: null, usage: undefined, errors: [], done: events.at(-1) === 'data: [DONE]' };
  for (const [i, e] of events.entries()) {
    expect(e.startsWith('data: ')).toBe(true);
    const data = e.slice(6);
    if (data === '[DONE]') {
      expect(i).toBe(events.length - 1);
      continue;
    }
    const c = JSON.parse(data) as {
      error?: unknown;
      usage?: unknown;
      choices?: Array<{ delta: { content?: string; tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }> }; finish_reason: string | null }>;
    };
    if (c.error !== undefined) s.errors.push(c.error);
    if (c.usage) s.usage = c.usage;
    for (const ch of c.choices ?? []) {
      s.content += ch.delta.content ?? '';
      for (const t of ch.delta.tool_calls ?? []) {
        const call = (s.toolCalls[t.index] ??= { id: '', name: '', arguments: '' });
        call.id += t.id ?? '';
        call.name += t.function?.name ?? '';
        call.arguments += t.function?.arguments ?? '';
      }
      s.finish = ch.finish_reason ?? s.finish;
    }
  }
  return s;
}

/**
 * Runs every split of `input` and checks that each gives exactly the output of the whole body, emitted
 * as whole events that never cut a character; returns that output's summary.
 */
async function sameForEverySplit(run: Run, input: string): Promise<Summary> {
  const bytes = Buffer.from(input);
  const reference = await run([bytes]);
  expect(reference.error).toBeUndefined();
  expect(reference.text).not.toContain('\uFFFD');
  for (const { how, pieces } of splits(bytes)) {
    const out = await run(pieces);
    expect(out.error, how).toBeUndefined();
    expect(out.text, how).toBe(reference.text);
    for (const c of out.chunks) {
      expect(c.endsWith('\n\n'), how).toBe(true);
      expect(c, how).not.toContain('\uFFFD');
    }
  }
  return summarize(reference.text);
}

const anthropicEvents = (() => {
  const ev = (data: { type: string } & Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  return [
    ev({
      type: 'message_start',
      message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-x', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } },
    }),
    ev({ type: 'ping' }),
    ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...TEXT.map((text) => ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
    ev({ type: 'content_block_stop', index: 0 }),
    ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: {} } }),
    ...['{"city":', '"Zürich"}'].map((partial_json) => ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json } })),
    ev({ type: 'content_block_stop', index: 1 }),
    ev({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 9 } }),
    ev({ type: 'message_stop' }),
  ];
})();

const geminiEvents = (() => {
  const ev = (parts: unknown[], last = false) =>
    `data: ${JSON.stringify({
      candidates: [{ content: { role: 'model', parts }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }],
      usageMetadata: last ? { promptTokenCount: 11, candidatesTokenCount: 4, totalTokenCount: 15 } : { promptTokenCount: 11, totalTokenCount: 11 },
      modelVersion: 'gemini-x',
    })}\r\n\r\n`;
  return [...TEXT.map((text) => ev([{ text }])), ev([{ functionCall: { name: 'get_weather', args: { city: 'Zürich' } } }], true)];
})();

const ollamaLines = (() => {
  const line = (message: Record<string, unknown>, extra: Record<string, unknown> = { done: false }) =>
    `${JSON.stringify({ model: 'llama', created_at: '2026-03-01T10:20:30.123456789Z', message: { role: 'assistant', ...message }, ...extra })}\n`;
  return [
    ...TEXT.map((content) => line({ content })),
    line({ content: '', tool_calls: [{ function: { index: 0, name: 'get_weather', arguments: { city: 'Zürich' } } }] }),
    line({ content: '' }, { done: true, done_reason: 'stop', prompt_eval_count: 26, eval_count: 7 }),
  ];
})();

const complete = (id: string, usage: Record<string, number>): Summary => ({
  content: TEXT.join(''),
  toolCalls: [{ id, name: 'get_weather', arguments: ARGS }],
  finish: 'tool_calls',
  usage: expect.objectContaining(usage) as unknown,
  errors: [],
  done: true,
});

/** A stream cut after the first two text fragments: they, one error event, no `[DONE]`. */
const cutShort = (error: unknown): Summary => ({ content: TEXT.slice(0, 2).join(''), toolCalls: [], finish: null, usage: undefined, errors: [error], done: false });
const anError = expect.objectContaining({ message: expect.any(String) as unknown, type: expect.any(String) as unknown }) as unknown;

describe('the translators give the same output however the upstream bytes are split', () => {
  it('Anthropic: a complete stream with text, a tool call and usage', async () => {
    expect(await sameForEverySplit(anthropic(), anthropicEvents.join(''))).toEqual(complete('toolu_1', { prompt_tokens: 12, completion_tokens: 9 }));
  });

  it.each([
    ['ended cleanly after whole events', anthropicEvents.slice(0, 5).join('')],
    ['ended inside an event', anthropicEvents.slice(0, 6).join('').slice(0, -40)],
    ['ended inside `data:`', `${anthropicEvents.slice(0, 5).join('')}event: content_block_delta\nda`],
    ['ended by an error event', `${anthropicEvents.slice(0, 5).join('')}event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n`],
    ['broken by an event that is not JSON', `${anthropicEvents.slice(0, 5).join('')}event: content_block_delta\ndata: {"type":\n\n${anthropicEvents.slice(5).join('')}`],
  ])('Anthropic: a stream %s gives one error event', async (_how, input) => {
    expect(await sameForEverySplit(anthropic(), input)).toEqual(cutShort(anError));
  });

  it('Anthropic: a connection reset after some text gives one error event, then the end', async () => {
    const s = await sameForEverySplit(anthropic(reset()), anthropicEvents.slice(0, 5).join(''));
    expect(s).toEqual(cutShort(expect.objectContaining({ message: 'The connection to the provider failed mid-stream.' })));
  });

  it.each([
    ['through setEncoding, as the adapter reads it', 'utf8' as const],
    ['as raw Buffers', undefined],
  ])('Gemini: a complete stream with text, a function call and usage, %s', async (_how, encoding) => {
    expect(await sameForEverySplit(gemini(encoding), geminiEvents.join(''))).toEqual(complete('call_0', { prompt_tokens: 11, completion_tokens: 4 }));
  });

  it.each([
    ['ended cleanly after whole events', geminiEvents.slice(0, 2).join('')],
    ['ended inside an event', geminiEvents.slice(0, 3).join('').slice(0, -30)],
    ['ended inside `data:`', `${geminiEvents.slice(0, 2).join('')}da`],
    ['broken by an event that is not JSON', `${geminiEvents.slice(0, 2).join('')}data: {"candidates":\r\n\r\n${geminiEvents.slice(2).join('')}`],
  ])('Gemini: a stream %s gives one error event', async (_how, input) => {
    expect(await sameForEverySplit(gemini('utf8'), input)).toEqual(cutShort(anError));
  });

  it.each([
    ['through setEncoding, as the adapter reads it', 'utf8' as const],
    ['as raw Buffers', undefined],
  ])('Ollama: a complete stream with text, a tool call and usage, %s', async (_how, encoding) => {
    expect(await sameForEverySplit(ollama(encoding), ollamaLines.join(''))).toEqual(complete('call_0', { prompt_tokens: 26, completion_tokens: 7 }));
  });

  it.each([
    ['ended cleanly after whole lines', ollamaLines.slice(0, 2).join('')],
    ['ended inside a line', ollamaLines.slice(0, 3).join('').slice(0, -10)],
    ['ended by an error line', `${ollamaLines.slice(0, 2).join('')}{"error":"an error was encountered while running the model"}\n`],
    ['broken by a line that is not JSON', `${ollamaLines.slice(0, 2).join('')}{"model":\n${ollamaLines.slice(2).join('')}`],
  ])('Ollama: a stream %s gives one error event', async (_how, input) => {
    expect(await sameForEverySplit(ollama('utf8'), input)).toEqual(cutShort(anError));
  });
});

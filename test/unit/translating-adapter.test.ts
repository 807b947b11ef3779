/**
 * The translating-adapter framework with a toy protocol: what `TranslatingAdapter` does the same for
 * every definition (headers both ways, include_usage, error mapping, key redaction, stream failures,
 * one parse per answer), through a real local HTTP upstream; and its pure parts without I/O.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ProviderConfig } from '../../src/config/schema.js';
import { UpstreamAgentPool } from '../../src/providers/http-client.js';
import { readText } from '../../src/providers/respond-as-openai.js';
import { NdjsonParser, SSE_DONE, sseData } from '../../src/providers/sse.js';
import { mappedError, notAnAnswer } from '../../src/providers/translating/error-mapping.js';
import { isObject, tokenCount } from '../../src/providers/translating/guards.js';
import { answerHeaders } from '../../src/providers/translating/headers.js';
import { KeyRedaction } from '../../src/providers/translating/key-redaction.js';
import type { ProtocolDefinition, StreamContext } from '../../src/providers/translating/protocol.js';
import { RequestMappingError, tryMapRequest } from '../../src/providers/translating/request-mapping.js';
import { pipeTranslated, StreamTranslationError, type StreamTranslator } from '../../src/providers/translating/translated-stream.js';
import { TranslatingAdapter } from '../../src/providers/translating/translating-adapter.js';
import type { UpstreamCall, UpstreamResponse } from '../../src/providers/types.js';
import { Cancel } from '../../src/routing/cancel.js';
import type { Usage } from '../../src/telemetry/usage.js';

const KEY = 'sk-toy/SECRET-0123456789';

/** Toy NDJSON stream: `{"text":...}` lines, `{"problem":...}` fails, `{"done":true,"tokens":n}` ends. */
class ToyTranslator implements StreamTranslator {
  private readonly lines = new NdjsonParser();
  private tokens: number | undefined;
  complete = false;

  constructor(private readonly ctx: StreamContext) {}

  push(text: string): string {
    return this.translate(this.lines.push(text));
  }

  end(): string {
    const out = this.translate(this.lines.end());
    if (!this.complete) throw new StreamTranslationError('The toy stream ended early.', 'TOY_TRUNCATED').precededBy(out);
    return out;
  }

  usage(): Usage | undefined {
    return this.tokens === undefined ? undefined : { promptTokens: 1, completionTokens: this.tokens };
  }

  private translate(events: unknown[]): string {
    let out = '';
    for (const e of events) {
      if (!isObject(e) || this.complete) continue;
      if (typeof e.problem === 'string') throw new StreamTranslationError(`toy failed: ${e.problem}`, 'TOY_ERROR').precededBy(out);
      if (typeof e.text === 'string') out += sseData({ model: this.ctx.model, choices: [{ index: 0, delta: { content: e.text }, finish_reason: null }] });
      if (e.done === true) {
        this.complete = true;
        this.tokens = tokenCount(e.tokens);
        if (this.ctx.includeUsage) out += sseData({ choices: [], usage: { prompt_tokens: 1, completion_tokens: this.tokens, total_tokens: 1 + this.tokens } });
        out += SSE_DONE;
      }
    }
    return out;
  }
}

/** What the toy definition was handed, to check the framework's side of the contract. */
const seen: { answers: unknown[]; errors: unknown[]; streams: StreamContext[] } = { answers: [], errors: [], streams: [] };

const toy: ProtocolDefinition<{ prompt: string; stream: boolean }> = {
  streamMediaType: 'application/x-ndjson',
  basePath: (pathname) => pathname.replace(/\/+$/, ''),
  callPath: (base, call) => `${base}/generate/${encodeURIComponent(call.model)}${call.stream ? '?stream=1' : ''}`,
  requestHeaders: (apiKey): Record<string, string> => (apiKey ? { 'x-toy-key': apiKey } : {}),
  translateRequest: (body, stream) =>
    tryMapRequest(() => {
      if (body.n === 2) throw new RequestMappingError('The toy answers once: `n` must be 1.', 'n');
      return { prompt: String(body.prompt ?? ''), stream };
    }),
  translateAnswer(answer, ctx) {
    seen.answers.push(answer);
    if (!isObject(answer) || typeof answer.text !== 'string') return notAnAnswer('The toy answered with something else.');
    const message = { role: 'assistant' as const, content: answer.text, refusal: null };
    return {
      status: 200,
      body: { id: 'toy-1', object: 'chat.completion', created: Math.floor(ctx.nowMs / 1000), model: ctx.model, choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }] },
    };
  },
  startStream(ctx) {
    seen.streams.push(ctx);
    const translator = new ToyTranslator(ctx);
    return { translator, usage: () => translator.usage() };
  },
  translateError(status, body) {
    seen.errors.push(body);
    if (!isObject(body)) return mappedError(status, `The toy answered HTTP ${status}.`);
    const error = mappedError(status === 418 ? 429 : status, String(body.problem), undefined, typeof body.kind === 'string' ? body.kind : null);
    return typeof body.wait === 'string' ? { ...error, retryAfter: body.wait } : error;
  },
  derivedHeaders: (upstream): Record<string, string> => (typeof upstream['toy-quota'] === 'string' ? { 'x-ratelimit-remaining-requests': upstream['toy-quota'] } : {}),
};

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body: string;
}

let server: Server;
let base: string;
const pool = new UpstreamAgentPool();
const replies: Reply[] = [];
const received: Array<{ url: string; headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      received.push({ url: req.url ?? '', headers: req.headers, body });
      const reply = replies.shift() ?? { status: 500, body: '{"problem":"no reply queued"}' };
      res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}/toy/v1/`;
});
afterAll(async () => {
  pool.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
afterEach(() => {
  replies.length = 0;
  received.length = 0;
  seen.answers.length = seen.errors.length = seen.streams.length = 0;
  vi.restoreAllMocks();
});

/** One call through a fresh adapter; `apiKey` null: the call carries no key. */
function send(body: Record<string, unknown>, reply?: Reply, apiKey: string | null = KEY): Promise<UpstreamResponse> {
  if (reply) replies.push(reply);
  const config: ProviderConfig = { name: 'toy', type: 'toy', base_url: base, timeout_ms: 2000, weight: 1 };
  const cancel = new Cancel();
  const call: UpstreamCall = {
    endpoint: 'chat/completions',
    body: { model: 'toy-m', ...body },
    stream: body.stream === true,
    requestId: 'req_1',
    cancel,
    idleTimeoutMs: 2000,
    apiKey: apiKey ?? undefined,
  };
  return new TranslatingAdapter(config, pool, toy).send(call);
}

const json = async (res: UpstreamResponse): Promise<unknown> => JSON.parse(await readText(res.body)) as unknown;

describe('TranslatingAdapter with a toy protocol', () => {
  it('sends the translated body to the definition’s path, with its headers and the framework’s', async () => {
    const res = await send({ prompt: 'hi', n: 1 }, { body: '{"text":"hello"}' });
    expect(res.status).toBe(200);
    expect(received[0]!.url).toBe('/toy/v1/generate/toy-m');
    expect(JSON.parse(received[0]!.body)).toEqual({ prompt: 'hi', stream: false });
    expect(received[0]!.headers).toMatchObject({ 'content-type': 'application/json', accept: 'application/json', 'x-request-id': 'req_1', 'x-toy-key': KEY });
    await send({ prompt: 'hi', stream: true }, { body: '{"done":true}\n' }, null);
    expect(received[1]!.url).toBe('/toy/v1/generate/toy-m?stream=1');
    expect(received[1]!.headers.accept).toBe('application/x-ndjson');
    expect(received[1]!.headers).not.toHaveProperty('x-toy-key');
  });

  it('refuses a request the protocol cannot represent with a 400, sending nothing', async () => {
    const res = await send({ prompt: 'hi', n: 2 });
    expect(res.status).toBe(400);
    expect(await json(res)).toEqual({ error: { message: 'The toy answers once: `n` must be 1.', type: 'invalid_request_error', param: 'n', code: 'unsupported_parameter' } });
    expect(received).toHaveLength(0);
  });

  it('passes the provider’s headers on without those of its body, adds derived ones where absent, types the answer', async () => {
    const headers = { 'retry-after': '2', 'toy-request-id': 'abc', 'toy-quota': '7', 'content-encoding': 'identity' };
    const res = await send({ prompt: 'hi' }, { headers, body: '{"text":"hello"}' });
    expect(res.headers).toMatchObject({ 'retry-after': '2', 'toy-request-id': 'abc', 'x-ratelimit-remaining-requests': '7', 'content-type': 'application/json' });
    expect(res.headers).not.toHaveProperty('content-encoding');
    expect(res.headers).not.toHaveProperty('content-length');
    const stream = await send({ prompt: 'hi', stream: true }, { headers: { ...headers, 'x-ratelimit-remaining-requests': '5' }, body: '{"done":true}\n' });
    expect(stream.headers).toMatchObject({ 'x-ratelimit-remaining-requests': '5', 'content-type': 'text/event-stream' });
  });

  it('parses a JSON answer once and hands the definition the value', async () => {
    const body = '{"text":"hello","extra":[1,2]}';
    const parse = vi.spyOn(JSON, 'parse');
    const res = await send({ prompt: 'hi' }, { body });
    expect(parse.mock.calls.filter(([text]) => text === body)).toHaveLength(1);
    expect(seen.answers).toEqual([{ text: 'hello', extra: [1, 2] }]);
    expect(await json(res)).toMatchObject({ object: 'chat.completion', model: 'toy-m', choices: [{ message: { content: 'hello' } }] });
  });

  it('parses an error body once, maps it as the definition says, and keeps its retry-after', async () => {
    const body = '{"problem":"slow down","kind":"toy_busy","wait":"9"}';
    const parse = vi.spyOn(JSON, 'parse');
    const res = await send({ prompt: 'hi' }, { status: 418, body });
    expect(parse.mock.calls.filter(([text]) => text === body)).toHaveLength(1);
    expect(res.status).toBe(429);
    expect(res.headers).toMatchObject({ 'retry-after': '9', 'content-type': 'application/json' });
    expect(await json(res)).toEqual({ error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'toy_busy' } });
    const withHeader = await send({ prompt: 'hi' }, { status: 418, headers: { 'retry-after': '3' }, body });
    expect(withHeader.headers['retry-after']).toBe('3');
  });

  it('gives the definition undefined for a body that is not JSON, and a 502 for a 200 that is not an answer', async () => {
    const res = await send({ prompt: 'hi' }, { status: 503, body: '<html>down</html>' });
    expect(seen.errors).toEqual([undefined]);
    expect(await json(res)).toEqual({ error: { message: 'The toy answered HTTP 503.', type: 'service_unavailable_error', param: null, code: null } });
    const bad = await send({ prompt: 'hi' }, { body: 'not json' });
    expect(bad.status).toBe(502);
    expect(await json(bad)).toMatchObject({ error: { type: 'server_error', code: 'bad_upstream_response' } });
  });

  it('removes the call’s key from provider text in every form it may be echoed in, and leaves other text', async () => {
    const forms = [KEY, KEY.replace('s', '\\u0073').replace('/', '\\/'), encodeURIComponent(KEY), Buffer.from(KEY).toString('base64')];
    for (const form of forms) {
      const res = await send({ prompt: 'hi' }, { status: 401, body: `{"problem":"bad key ${form} here","kind":"${form}"}` });
      const text = await readText(res.body);
      expect(text, form).toBe(JSON.stringify({ error: { message: 'bad key [redacted] here', type: 'authentication_error', param: null, code: '[redacted]' } }));
    }
    const other = await send({ prompt: 'hi' }, { status: 401, body: '{"problem":"bad key sk-other"}' });
    expect(await json(other)).toMatchObject({ error: { message: 'bad key sk-other' } });
    const keyless = await send({ prompt: 'hi' }, { status: 401, body: `{"problem":"${KEY}"}` }, null);
    expect(await json(keyless)).toMatchObject({ error: { message: KEY } });
  });

  it('reads include_usage once, as true only for stream_options.include_usage: true', async () => {
    const lines = '{"text":"a"}\n{"done":true,"tokens":4}\n';
    for (const [options, expected] of [
      [{ include_usage: true }, true],
      [{ include_usage: 'true' }, false],
      [undefined, false],
      [null, false],
    ] as const) {
      const res = await send({ prompt: 'hi', stream: true, ...(options !== undefined ? { stream_options: options } : {}) }, { body: lines });
      const text = await readText(res.body);
      expect(seen.streams.at(-1)!.includeUsage).toBe(expected);
      expect(text.includes('"usage"')).toBe(expected);
      expect(text.endsWith(SSE_DONE)).toBe(true);
      // The usage is known either way, for accounting.
      expect(res.streamUsage?.()).toEqual({ promptTokens: 1, completionTokens: 4 });
    }
  });

  it('fails a stream before any output (for failover), and in-band after it, the key removed', async () => {
    const early = await send({ prompt: 'hi', stream: true }, { body: `{"problem":"no capacity for ${KEY}"}\n` });
    const error = await readText(early.body).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StreamTranslationError);
    expect((error as Error).message).toBe('toy failed: no capacity for [redacted]');
    const late = await send({ prompt: 'hi', stream: true }, { body: `{"text":"par"}\n{"text":"tial"}\n{"problem":"crashed, key ${KEY}"}\n{"text":"never"}\n` });
    const text = await readText(late.body);
    expect(text).toContain('"content":"par"');
    expect(text).not.toContain('never');
    expect(text).not.toContain(SSE_DONE);
    expect(text.endsWith(sseData({ error: { message: 'toy failed: crashed, key [redacted]', type: 'server_error', param: null, code: 'upstream_stream_error' } }))).toBe(true);
  });
});

describe('framework parts without I/O', () => {
  const translator = () => new ToyTranslator({ model: 'm', nowMs: 0, includeUsage: false });
  const drain = (out: Readable): Promise<{ text: string; error?: Error }> =>
    new Promise((resolve) => {
      let text = '';
      out.on('data', (c: Buffer) => (text += c.toString('utf8')));
      out.once('end', () => resolve({ text }));
      out.once('error', (error: Error) => resolve({ text, error }));
    });
  const failing = (pieces: string[], err: Error): Readable =>
    Readable.from(
      (async function* () {
        yield* pieces.map((p) => Buffer.from(p));
        throw err;
      })(),
    );
  const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

  it('reports a broken connection as an error before output, in-band after it, and not at all once whole', async () => {
    expect((await drain(pipeTranslated(failing([], reset()), translator()))).error?.message).toBe('socket hang up');
    const mid = await drain(pipeTranslated(failing(['{"text":"a"}\n'], reset()), translator()));
    expect(mid.error).toBeUndefined();
    expect(mid.text.endsWith(sseData({ error: { message: 'The connection to the provider failed mid-stream.', type: 'server_error', param: null, code: 'ECONNRESET' } }))).toBe(true);
    const whole = await drain(pipeTranslated(failing(['{"text":"a"}\n{"done":true}\n'], reset()), translator()));
    expect(whole).toEqual({ text: expect.stringMatching(/data: \[DONE\]\n\n$/) as unknown });
  });

  it('answerHeaders: drops body headers, lower-cases names, never lets a derived header override the provider', () => {
    expect(answerHeaders({ 'Content-Length': '9', 'Retry-After': '1', 'x-ratelimit-limit-requests': '5' }, 'text/event-stream', { 'x-ratelimit-limit-requests': '50', 'x-new': 'y' })).toEqual({
      'retry-after': '1',
      'x-ratelimit-limit-requests': '5',
      'x-new': 'y',
      'content-type': 'text/event-stream',
    });
  });

  it('KeyRedaction: one pattern per key, every encoding, no key no change', () => {
    const redaction = new KeyRedaction();
    const redact = redaction.of(KEY);
    expect(redaction.of(KEY)('a ' + KEY)).toBe('a [redacted]');
    expect(redact(`${encodeURIComponent(KEY)} ${JSON.stringify(KEY).slice(1, -1).replace('/', '\\/')}`)).toBe('[redacted] [redacted]');
    expect(redaction.of(undefined)(KEY)).toBe(KEY);
    expect(redaction.of('')(KEY)).toBe(KEY);
  });

  it('tryMapRequest: a RequestMappingError becomes a value, other errors are thrown on', () => {
    expect(tryMapRequest(() => 1)).toEqual({ ok: true, body: 1 });
    expect(
      tryMapRequest(() => {
        throw new RequestMappingError('no audio', 'messages[0]', 'invalid_value');
      }),
    ).toEqual({ ok: false, message: 'no audio', param: 'messages[0]', code: 'invalid_value' });
    expect(() =>
      tryMapRequest(() => {
        throw new TypeError('bug');
      }),
    ).toThrow(TypeError);
  });
});

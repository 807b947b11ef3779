/**
 * A fake OpenAI-compatible upstream on loopback, speaking the real wire format (JSON and SSE), with
 * faults injected per request (a queue) or per scenario (the default behaviour).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerCommonFault, FakeServer, sendJson, sendStatus, sleep, writeStream } from './fake-server.js';

export type { ReceivedRequest } from './fake-server.js';

export type Fault =
  /** A normal answer; optionally slow before headers or between stream chunks. */
  | { kind: 'ok'; delayMs?: number; chunkDelayMs?: number; text?: string; headers?: Record<string, string> }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; delayMs?: number }
  /** Drop the connection before any response byte. */
  | { kind: 'reset' }
  /** Stream: send this many chunks (of `text`, when given), then drop the connection. */
  | { kind: 'reset_after_chunks'; chunks: number; text?: string }
  /** Stream: end cleanly after this many chunks without `[DONE]`. */
  | { kind: 'truncate_after_chunks'; chunks: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed' }
  /** Never answer (until the client gives up). */
  | { kind: 'hang' }
  /**
   * Exactly these bytes, in these writes (each flushed before the next, `gapMs` apart when given), with
   * this status and content type; then the end (or, with `reset`, a dropped connection).
   */
  | { kind: 'raw'; writes: ReadonlyArray<string | Buffer>; status?: number; contentType?: string; gapMs?: number; reset?: boolean };

export class FakeUpstream extends FakeServer<Fault> {
  private seq = 0;
  /** What `GET /v1/models` lists (and `GET /v1/models/{id}` knows). */
  listed: string[] = [];
  /** Responses this fake served natively (`POST /v1/responses`), by id. */
  readonly responses = new Map<string, Record<string, unknown>>();

  override reset(): this {
    this.listed = [];
    return super.reset();
  }

  private constructor(name: string) {
    super(name, { kind: 'ok' });
  }

  static async start(name = 'fake', port = 0): Promise<FakeUpstream> {
    return new FakeUpstream(name).listen(port);
  }

  /** Base URL in the form providers are configured with. */
  get url(): string {
    return `${this.origin}/v1`;
  }

  protected handle(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>): void {
    // The gateway reads model lists in the background: not a request under test, and no fault is spent on it.
    if (req.method === 'GET' && path.startsWith('/v1/models')) return this.models(path, res);
    this.requests.push({ path, headers: req.headers, body });
    void this.respond(path, body, this.nextFault(), req, res);
  }

  /** `GET /v1/models` and `GET /v1/models/{id}` from `listed`. */
  private models(path: string, res: ServerResponse): void {
    if (path === '/v1/models') return sendJson(res, 200, { object: 'list', data: this.listed.map((id) => ({ id, object: 'model', created: 1, owned_by: this.name })) });
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    if (this.listed.includes(id)) return sendJson(res, 200, { id, object: 'model', created: 1, owned_by: this.name });
    sendJson(res, 404, { error: { message: `The model '${id}' does not exist`, type: 'invalid_request_error', param: 'model', code: 'model_not_found' } });
  }

  private async respond(path: string, body: Record<string, unknown>, fault: Fault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (path === '/v1/embeddings') return this.embed(body, fault, req, res);
    if (path === '/v1/responses') return this.respondNatively(body, fault, req, res);
    if (path.startsWith('/v1/responses/') && req.method === 'GET') {
      const stored = this.responses.get(path.slice('/v1/responses/'.length));
      return stored ? sendJson(res, 200, stored) : sendJson(res, 404, { error: { message: 'No response found', type: 'invalid_request_error', param: null, code: null } });
    }
    if (path !== '/v1/chat/completions' && path !== '/v1/completions') {
      return sendJson(res, 404, { error: { message: `Unknown request URL: POST ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    }
    const chat = path === '/v1/chat/completions';
    const model = typeof body.model === 'string' ? body.model : 'unknown';
    if (answerCommonFault(fault, req, res, '{"id": "chatcmpl-broken", "choices": [')) return;
    if (fault.kind === 'raw') return writeRaw(res, req, fault);
    if (fault.kind === 'status') {
      if (fault.delayMs) await sleep(fault.delayMs);
      const error = { message: `${this.name} says ${fault.status}`, type: fault.status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null };
      return sendStatus(res, fault.status, { 'content-type': 'application/json' }, fault.retryAfter, fault.body ?? JSON.stringify({ error }));
    }
    const delay = fault.kind === 'ok' ? fault.delayMs : undefined;
    if (delay) await sleep(delay);
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${this.name}-${++this.seq}`;
    const text = ((fault.kind === 'ok' || fault.kind === 'reset_after_chunks') && fault.text) || `Hello from ${this.name}`;
    const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };
    const extra = fault.kind === 'ok' ? fault.headers : undefined;
    if (body.stream !== true) {
      if (fault.kind !== 'ok') return sendJson(res, 200, {});
      return sendJson(res, 200, chat ? chatCompletion(id, model, text, usage) : textCompletion(id, model, text, usage), extra);
    }

    const events = streamEvents(id, model, text, chat, (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true ? usage : undefined);
    res.writeHead(200, { ...extra, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const stop = fault.kind === 'reset_after_chunks' ? { at: fault.chunks, reset: true as const } : fault.kind === 'truncate_after_chunks' ? { at: fault.chunks } : undefined;
    await writeStream(req, res, events, stop, { chunkDelayMs: fault.kind === 'ok' ? fault.chunkDelayMs : undefined });
  }

  /** `POST /v1/responses`, as OpenAI serves it: a Response object, or its event stream. */
  private async respondNatively(body: Record<string, unknown>, fault: Fault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (answerCommonFault(fault, req, res, '{"object": "response", ')) return;
    if (fault.kind === 'status')
      return sendStatus(
        res,
        fault.status,
        { 'content-type': 'application/json' },
        fault.retryAfter,
        JSON.stringify({ error: { message: `${this.name} says ${fault.status}`, type: 'server_error', param: null, code: null } }),
      );
    if (fault.kind === 'raw') return writeRaw(res, req, fault);
    const id = `resp_${this.name}_${++this.seq}`;
    const text = `Hello natively from ${this.name}`;
    const message = { type: 'message', id: `msg_${this.seq}`, role: 'assistant', status: 'completed', content: [{ type: 'output_text', text, annotations: [] }] };
    const response = { id, object: 'response', created_at: 1, status: 'completed', model: body.model, output: [message], usage: { input_tokens: 3, output_tokens: 4, total_tokens: 7 } };
    this.responses.set(id, response);
    if (body.stream !== true) return sendJson(res, 200, response);
    const ev = (type: string, data: object, n: number) => `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n, ...data })}\n\n`;
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const events = [
      ev('response.created', { response: { ...response, status: 'in_progress', output: [], usage: null } }, 0),
      ev('response.output_item.added', { output_index: 0, item: { ...message, status: 'in_progress', content: [] } }, 1),
      ev('response.content_part.added', { item_id: message.id, output_index: 0, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } }, 2),
      ev('response.output_text.delta', { item_id: message.id, output_index: 0, content_index: 0, delta: text }, 3),
      ev('response.completed', { response }, 4),
    ];
    const stop = fault.kind === 'truncate_after_chunks' ? { at: fault.chunks } : fault.kind === 'reset_after_chunks' ? { at: fault.chunks, reset: true as const } : undefined;
    await writeStream(req, res, events, stop);
  }

  /** `POST /v1/embeddings`: one vector per input (float or base64 of float32), usage by input length. */
  private async embed(body: Record<string, unknown>, fault: Fault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (answerCommonFault(fault, req, res, '{"object": "list", "data": [')) return;
    if (fault.kind === 'status')
      return sendStatus(
        res,
        fault.status,
        { 'content-type': 'application/json' },
        fault.retryAfter,
        fault.body ?? JSON.stringify({ error: { message: `${this.name} says ${fault.status}`, type: 'server_error', param: null, code: null } }),
      );
    if (fault.kind === 'ok' && fault.delayMs) await sleep(fault.delayMs);
    const input = body.input;
    const inputs: unknown[] = Array.isArray(input) && (input.length === 0 || typeof input[0] !== 'number') ? input : [input];
    const dims = typeof body.dimensions === 'number' ? body.dimensions : DIMENSIONS;
    const data = inputs.map((_, index) => {
      const vector = Array.from({ length: dims }, (_v, d) => (d === 0 ? index : 0.5));
      const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    const tokens = inputs.reduce<number>((n, i) => n + (typeof i === 'string' ? i.split(/\s+/).length : Array.isArray(i) ? i.length : 1), 0);
    sendJson(res, 200, { object: 'list', data, model: typeof body.model === 'string' ? body.model : 'unknown', usage: { prompt_tokens: tokens, total_tokens: tokens } });
  }
}

function chatCompletion(id: string, model: string, text: string, usage: object) {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage,
  };
}

function textCompletion(id: string, model: string, text: string, usage: object) {
  return {
    id,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: 'stop' }],
    usage,
  };
}

/** The SSE events of one answer: role, one event per word, finish, optional usage, `[DONE]`. */
function streamEvents(id: string, model: string, text: string, chat: boolean, usage: object | undefined): string[] {
  const created = Math.floor(Date.now() / 1000);
  const object = chat ? 'chat.completion.chunk' : 'text_completion';
  const frame = (choice: object, extra: object = {}) => `data: ${JSON.stringify({ id, object, created, model, choices: [choice], ...extra })}\n\n`;
  const words = text.split(/(?=\s)/);
  const out: string[] = [];
  if (chat) out.push(frame({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }));
  for (const w of words) {
    out.push(frame(chat ? { index: 0, delta: { content: w }, logprobs: null, finish_reason: null } : { index: 0, text: w, logprobs: null, finish_reason: null }));
  }
  out.push(frame(chat ? { index: 0, delta: {}, logprobs: null, finish_reason: 'stop' } : { index: 0, text: '', logprobs: null, finish_reason: 'stop' }));
  if (usage) out.push(`data: ${JSON.stringify({ id, object, created, model, choices: [], usage })}\n\n`);
  out.push('data: [DONE]\n\n');
  return out;
}

/** Dimensions of the fake's embeddings: a vector per input whose first value is the input's index. */
const DIMENSIONS = 4;

/** The `raw` fault: each write goes out on its own (awaited, then an optional pause). */
async function writeRaw(res: ServerResponse, req: IncomingMessage, f: Extract<Fault, { kind: 'raw' }>): Promise<void> {
  res.writeHead(f.status ?? 200, { 'content-type': f.contentType ?? 'text/event-stream' });
  res.flushHeaders();
  for (const piece of f.writes) {
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(piece, () => resolve()));
    await (f.gapMs ? sleep(f.gapMs) : new Promise((r) => setImmediate(r)));
  }
  if (f.reset) req.socket.destroy();
  else res.end();
}

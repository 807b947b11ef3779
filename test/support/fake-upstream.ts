/**
 * A fake OpenAI-compatible upstream on loopback, speaking the real wire format (JSON and SSE), with
 * faults injected per request (a queue) or per scenario (the default behaviour).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** A normal answer; optionally slow before headers or between stream chunks. */
  | { kind: 'ok'; delayMs?: number; chunkDelayMs?: number; text?: string; headers?: Record<string, string> }
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; delayMs?: number }
  /** Drop the connection before any response byte. */
  | { kind: 'reset' }
  /** Stream: send this many chunks, then drop the connection. */
  | { kind: 'reset_after_chunks'; chunks: number }
  /** Stream: end cleanly after this many chunks without `[DONE]`. */
  | { kind: 'truncate_after_chunks'; chunks: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed' }
  /** Never answer (until the client gives up). */
  | { kind: 'hang' };

export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export class FakeUpstream {
  readonly requests: ReceivedRequest[] = [];
  private queue: Fault[] = [];
  private fallback: Fault = { kind: 'ok' };
  private readonly sockets = new Set<Socket>();
  private seq = 0;

  private constructor(
    readonly name: string,
    private readonly server: Server,
  ) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(name = 'fake', port = 0): Promise<FakeUpstream> {
    const server = createServer({ keepAliveTimeout: 60_000 });
    const fake = new FakeUpstream(name, server);
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Base URL in the form providers are configured with. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  /** Faults for the next requests, in order; then the default applies again. */
  enqueue(...faults: Fault[]): this {
    this.queue.push(...faults);
    return this;
  }

  /** The behaviour for every request that finds the queue empty. */
  setDefault(fault: Fault): this {
    this.fallback = fault;
    return this;
  }

  reset(): this {
    this.queue = [];
    this.fallback = { kind: 'ok' };
    this.requests.length = 0;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        body = {};
      }
      const path = req.url ?? '/';
      this.requests.push({ path, headers: req.headers, body });
      const fault = this.queue.shift() ?? this.fallback;
      void this.respond(path, body, fault, req, res);
    });
  }

  private async respond(path: string, body: Record<string, unknown>, fault: Fault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (path !== '/v1/chat/completions' && path !== '/v1/completions') {
      return sendJson(res, 404, { error: { message: `Unknown request URL: POST ${path}`, type: 'invalid_request_error', param: null, code: 'unknown_url' } });
    }
    const chat = path === '/v1/chat/completions';
    const model = typeof body.model === 'string' ? body.model : 'unknown';
    switch (fault.kind) {
      case 'hang':
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"id": "chatcmpl-broken", "choices": [');
        return;
      case 'status': {
        if (fault.delayMs) await sleep(fault.delayMs);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res.writeHead(fault.status, headers);
        res.end(fault.body ?? JSON.stringify({ error: { message: `${this.name} says ${fault.status}`, type: fault.status >= 500 ? 'server_error' : 'invalid_request_error', param: null, code: null } }));
        return;
      }
      default:
        break;
    }
    const delay = fault.kind === 'ok' ? fault.delayMs : undefined;
    if (delay) await sleep(delay);
    const id = `${chat ? 'chatcmpl' : 'cmpl'}-${this.name}-${++this.seq}`;
    const text = (fault.kind === 'ok' && fault.text) || `Hello from ${this.name}`;
    const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 };
    const extra = fault.kind === 'ok' ? fault.headers : undefined;
    if (body.stream !== true) {
      if (fault.kind !== 'ok') return sendJson(res, 200, {});
      return sendJson(res, 200, chat ? chatCompletion(id, model, text, usage) : textCompletion(id, model, text, usage), extra);
    }

    const events = streamEvents(id, model, text, chat, (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true ? usage : undefined);
    res.writeHead(200, { ...extra, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunkDelay = fault.kind === 'ok' ? fault.chunkDelayMs : undefined;
    for (let i = 0; i < events.length; i++) {
      if (fault.kind === 'reset_after_chunks' && i === fault.chunks) {
        // Let the chunks already written reach the peer before the connection drops.
        if (i > 0) await sleep(30);
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'truncate_after_chunks' && i === fault.chunks) {
        res.end();
        return;
      }
      if (res.destroyed) return;
      res.write(events[i]);
      if (chunkDelay && i < events.length - 1) await sleep(chunkDelay);
    }
    res.end();
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

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

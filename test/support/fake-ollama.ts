/**
 * A fake Ollama server on loopback speaking the native API: `POST /api/chat` answering Ollama's JSON
 * or its NDJSON stream (`application/x-ndjson`, one object per line, a final `done: true` line with
 * counters, no `[DONE]`), errors as `{"error": "..."}` with Ollama's statuses, and gin's plain-text
 * 404 for other paths. Faults are queued per request, like FakeUpstream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

export type OllamaFault =
  /** A normal answer: text (streamed word by word), optional thinking and tool calls. */
  | {
      kind: 'ok';
      text?: string;
      thinking?: string;
      toolCalls?: FakeToolCall[];
      doneReason?: string;
      delayMs?: number;
      chunkDelayMs?: number;
      /** Stream: write every line in two pieces, cut inside a UTF-8 character when the line has one. */
      splitLines?: boolean;
    }
  /** An error answer; the body defaults to Ollama's `{"error": "..."}`. */
  | { kind: 'status'; status: number; error?: string; body?: string; retryAfter?: string }
  /** Stream: this many normal lines, then `{"error": "..."}` and the end (status stays 200). */
  | { kind: 'error_mid_stream'; afterLines: number; error?: string }
  /** Drop the connection before any response byte. */
  | { kind: 'reset' }
  /** Stream: this many lines, then drop the connection. */
  | { kind: 'reset_after_lines'; lines: number }
  /** Stream: end cleanly after this many lines, without the `done: true` line. */
  | { kind: 'truncate_after_lines'; lines: number }
  /** 200 with a body that is not JSON. */
  | { kind: 'malformed' }
  /** Never answer. */
  | { kind: 'hang' };

export interface ReceivedOllamaRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export const PROMPT_EVAL_COUNT = 26;
export const EVAL_COUNT = 7;

export class FakeOllama {
  readonly requests: ReceivedOllamaRequest[] = [];
  private queue: OllamaFault[] = [];
  private fallback: OllamaFault = { kind: 'ok' };
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly name: string,
    private readonly server: Server,
  ) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(name = 'ollama'): Promise<FakeOllama> {
    const server = createServer({ keepAliveTimeout: 60_000 });
    const fake = new FakeOllama(name, server);
    server.on('request', (req, res) => fake.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The server root, as Ollama providers are configured. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  enqueue(...faults: OllamaFault[]): this {
    this.queue.push(...faults);
    return this;
  }

  setDefault(fault: OllamaFault): this {
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

  private async respond(path: string, body: Record<string, unknown>, fault: OllamaFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST' || path !== '/api/chat') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
      return;
    }
    const model = typeof body.model === 'string' ? body.model : '';
    // Ollama streams unless told otherwise.
    const stream = body.stream !== false;
    switch (fault.kind) {
      case 'hang':
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('<html>bad gateway</html>');
        return;
      case 'status': {
        const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        res.writeHead(fault.status, headers);
        res.end(fault.body ?? JSON.stringify({ error: fault.error ?? `${this.name} says ${fault.status}` }));
        return;
      }
      default:
        break;
    }
    const ok = fault.kind === 'ok' ? fault : undefined;
    if (ok?.delayMs) await sleep(ok.delayMs);
    const text = ok?.text ?? `Hello from ${this.name}`;
    const calls = (ok?.toolCalls ?? []).map((c, index) => ({ function: { index, name: c.name, arguments: c.arguments } }));
    const doneReason = ok?.doneReason ?? 'stop';
    const createdAt = '2026-03-01T10:20:30.123456789Z';
    const counters = { total_duration: 5191566416, load_duration: 2154458, prompt_eval_count: PROMPT_EVAL_COUNT, prompt_eval_duration: 383809000, eval_count: EVAL_COUNT, eval_duration: 4799921000 };

    if (!stream) {
      const message: Record<string, unknown> = { role: 'assistant', content: calls.length > 0 && !ok?.text ? '' : text };
      if (ok?.thinking) message.thinking = ok.thinking;
      if (calls.length > 0) message.tool_calls = calls;
      const payload = JSON.stringify({ model, created_at: createdAt, message, done: true, done_reason: doneReason, ...counters });
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(payload) });
      res.end(payload);
      return;
    }

    const line = (message: Record<string, unknown>, extra: Record<string, unknown> = { done: false }) =>
      `${JSON.stringify({ model, created_at: createdAt, message: { role: 'assistant', ...message }, ...extra })}\n`;
    const lines: string[] = [];
    if (ok?.thinking) lines.push(line({ content: '', thinking: ok.thinking }));
    if (!(calls.length > 0 && !ok?.text)) for (const w of text.split(/(?=\s)/)) lines.push(line({ content: w }));
    if (calls.length > 0) lines.push(line({ content: '', tool_calls: calls }));
    lines.push(line({ content: '' }, { done: true, done_reason: doneReason, ...counters }));

    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (let i = 0; i < lines.length; i++) {
      if (fault.kind === 'error_mid_stream' && i === fault.afterLines) {
        res.end(`${JSON.stringify({ error: fault.error ?? 'an error was encountered while running the model' })}\n`);
        return;
      }
      if (fault.kind === 'reset_after_lines' && i === fault.lines) {
        if (i > 0) await sleep(30);
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'truncate_after_lines' && i === fault.lines) {
        res.end();
        return;
      }
      if (res.destroyed) return;
      const bytes = Buffer.from(lines[i]!);
      if (ok?.splitLines) {
        // Cut inside the first multi-byte character when there is one, else in the middle.
        const wide = bytes.findIndex((b) => b >= 0x80);
        const cut = wide >= 0 ? wide + 1 : Math.floor(bytes.length / 2);
        res.write(bytes.subarray(0, cut));
        await sleep(5);
        res.write(bytes.subarray(cut));
        await sleep(5);
      } else {
        res.write(bytes);
      }
      if (ok?.chunkDelayMs && i < lines.length - 1) await sleep(ok.chunkDelayMs);
    }
    res.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

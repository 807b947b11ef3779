/**
 * A fake Ollama server on loopback speaking the native API: `POST /api/chat` answering Ollama's JSON
 * or its NDJSON stream (`application/x-ndjson`, one object per line, a final `done: true` line with
 * counters, no `[DONE]`), `POST /api/embed` (`{model, embeddings: [[...]], prompt_eval_count}`, the
 * request checked as Ollama checks it), errors as `{"error": "..."}` with Ollama's statuses, and gin's
 * plain-text 404 for other paths. Faults are queued per request, like FakeUpstream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerCommonFault, type Chunking, FakeServer, type ReceivedRequest, sendJson, sendStatus, sleep, writeChunked, writeStream } from './fake-server.js';

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
      /** Stream: the whole NDJSON body written cut this way instead (one write, one byte per write, or at these offsets). */
      chunks?: Chunking;
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
  | { kind: 'hang' }
  /** /api/embed: answers these vectors as they are (whatever was asked). */
  | { kind: 'embeddings'; vectors: number[][] };

export type ReceivedOllamaRequest = ReceivedRequest;

const OLLAMA_JSON = 'application/json; charset=utf-8';

export const PROMPT_EVAL_COUNT = 26;
export const EVAL_COUNT = 7;

/** The size of a fake embedding when the request sets no `dimensions`. */
export const OLLAMA_EMBED_DIMENSIONS = 4;

/** The fake's embedding of the `index`-th input: `[index, 0.25, 0.25, …]` (float32-exact), cut to `dimensions`. */
export function fakeOllamaVector(index: number, dimensions = OLLAMA_EMBED_DIMENSIONS): number[] {
  return Array.from({ length: dimensions }, (_, k) => (k === 0 ? index : 0.25));
}

/** What the fake reports as `prompt_eval_count` for these inputs: one token per word. */
export function fakeOllamaTokens(texts: readonly string[]): number {
  return texts.reduce((n, t) => n + t.split(/\s+/).filter(Boolean).length, 0);
}

export class FakeOllama extends FakeServer<OllamaFault, ReceivedOllamaRequest> {
  private constructor(name: string) {
    super(name, { kind: 'ok' });
  }

  static async start(name = 'ollama'): Promise<FakeOllama> {
    return new FakeOllama(name).listen();
  }

  /** The server root, as Ollama providers are configured. */
  get url(): string {
    return this.origin;
  }

  protected handle(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>): void {
    this.requests.push({ path, headers: req.headers, body });
    void this.respond(path, body, this.nextFault(), req, res);
  }

  private async respond(path: string, body: Record<string, unknown>, fault: OllamaFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'POST' && path === '/api/embed') return this.embed(body, fault, req, res);
    if (req.method !== 'POST' || path !== '/api/chat') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('404 page not found');
      return;
    }
    const model = typeof body.model === 'string' ? body.model : '';
    // Ollama streams unless told otherwise.
    const stream = body.stream !== false;
    if (answerCommonFault(fault, req, res, '<html>bad gateway</html>')) return;
    if (fault.kind === 'status') {
      return sendStatus(res, fault.status, { 'content-type': OLLAMA_JSON }, fault.retryAfter, fault.body ?? JSON.stringify({ error: fault.error ?? `${this.name} says ${fault.status}` }));
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
      return sendJson(res, 200, { model, created_at: createdAt, message, done: true, done_reason: doneReason, ...counters }, {}, OLLAMA_JSON);
    }

    const line = (message: Record<string, unknown>, extra: Record<string, unknown> = { done: false }) =>
      `${JSON.stringify({ model, created_at: createdAt, message: { role: 'assistant', ...message }, ...extra })}\n`;
    const lines: string[] = [];
    if (ok?.thinking) lines.push(line({ content: '', thinking: ok.thinking }));
    if (!(calls.length > 0 && !ok?.text)) for (const w of text.split(/(?=\s)/)) lines.push(line({ content: w }));
    if (calls.length > 0) lines.push(line({ content: '', tool_calls: calls }));
    lines.push(line({ content: '' }, { done: true, done_reason: doneReason, ...counters }));

    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    if (ok?.chunks) return writeChunked(req, res, lines, undefined, ok.chunks);
    const stop =
      fault.kind === 'error_mid_stream'
        ? { at: fault.afterLines, last: `${JSON.stringify({ error: fault.error ?? 'an error was encountered while running the model' })}\n` }
        : fault.kind === 'reset_after_lines'
          ? { at: fault.lines, reset: true as const }
          : fault.kind === 'truncate_after_lines'
            ? { at: fault.lines }
            : undefined;
    await writeStream(req, res, lines, stop, { chunkDelayMs: ok?.chunkDelayMs, write: ok?.splitLines ? (line) => writeSplit(res, line) : undefined });
  }

  /** `/api/embed`: the request checked as Ollama checks it, then one vector per input. */
  private async embed(body: Record<string, unknown>, fault: OllamaFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (answerCommonFault(fault, req, res, '<html>bad gateway</html>')) return;
    if (fault.kind === 'status') {
      return sendStatus(res, fault.status, { 'content-type': OLLAMA_JSON }, fault.retryAfter, fault.body ?? JSON.stringify({ error: fault.error ?? `${this.name} says ${fault.status}` }));
    }
    if (fault.kind === 'ok' && fault.delayMs) await sleep(fault.delayMs);
    const { model, input, dimensions } = body;
    if (typeof model !== 'string' || model === '') return sendJson(res, 400, { error: 'model is required' }, {}, OLLAMA_JSON);
    const texts = typeof input === 'string' ? [input] : Array.isArray(input) && input.every((t: unknown) => typeof t === 'string') ? (input as string[]) : undefined;
    if (!texts) return sendJson(res, 400, { error: 'invalid input type' }, {}, OLLAMA_JSON);
    if (dimensions !== undefined && !(Number.isInteger(dimensions) && (dimensions as number) > 0)) {
      return sendJson(res, 400, { error: 'dimensions must be a positive integer' }, {}, OLLAMA_JSON);
    }
    const embeddings = fault.kind === 'embeddings' ? fault.vectors : texts.map((_, i) => fakeOllamaVector(i, dimensions as number | undefined));
    const counters = { total_duration: 14143917, load_duration: 1019500, prompt_eval_count: fakeOllamaTokens(texts) };
    return sendJson(res, 200, { model, embeddings, ...counters }, {}, OLLAMA_JSON);
  }
}

/** Writes a line in two pieces, cut inside its first multi-byte character when it has one, else in the middle. */
async function writeSplit(res: ServerResponse, line: string): Promise<void> {
  const bytes = Buffer.from(line);
  const wide = bytes.findIndex((b) => b >= 0x80);
  const cut = wide >= 0 ? wide + 1 : Math.floor(bytes.length / 2);
  res.write(bytes.subarray(0, cut));
  await sleep(5);
  res.write(bytes.subarray(cut));
  await sleep(5);
}

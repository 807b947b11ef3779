/**
 * A fake Anthropic Messages API on loopback speaking the real wire format: `POST /v1/messages` with
 * `x-api-key` and `anthropic-version`, `type: "message"` JSON, named SSE events ending in
 * `message_stop`, and the `{"type":"error","error":{...}}` envelope; `POST /v1/messages/count_tokens`
 * answers `{"input_tokens": FakeAnthropic.COUNTED}`. Faults are queued per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Chunking, FakeServerBase, sendJson, sendStatus, writeChunked, writeStream } from './fake-server.js';

export type { ReceivedRequest } from './fake-server.js';

export interface FakeUsage {
  input?: number;
  output?: number;
  cacheRead?: number;
  cacheWrite?: number;
}

export interface FakeToolCall {
  id?: string;
  name: string;
  input: Record<string, unknown>;
}

export type AnthropicFault =
  /** A text answer (streamed word by word when asked to stream; `chunks`: the whole body cut that way). */
  | { kind: 'ok'; text?: string; stopReason?: string; usage?: FakeUsage; chunkDelayMs?: number; headers?: Record<string, string>; chunks?: Chunking }
  /** An answer calling tools, after optional text. */
  | { kind: 'tool'; calls: FakeToolCall[]; text?: string; chunks?: Chunking }
  /** An Anthropic error envelope with this status. */
  | { kind: 'status'; status: number; errorType?: string; message?: string; retryAfter?: string; body?: string }
  /** Stream: a 200, `textEvents` text deltas, then `event: error` and the end of the response. */
  | { kind: 'stream_error'; textEvents: number; errorType?: string; message?: string }
  /** Drop the connection before any response byte. */
  | { kind: 'reset' }
  /** Stream: send this many events of the answer (written as `chunks` says, when given), then drop the connection. */
  | { kind: 'reset_after_events'; events: number; text?: string; chunks?: Chunking }
  /** Stream: end cleanly after this many events of the answer (written as `chunks` says, when given), without `message_stop`. */
  | { kind: 'truncate_after_events'; events: number; text?: string; chunks?: Chunking };

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

export class FakeAnthropic extends FakeServerBase<AnthropicFault> {
  private seq = 0;
  /** What `count_tokens` answers (a number the gateway's estimate would not give). */
  static readonly COUNTED = 777;

  private constructor(name: string) {
    super(name, { kind: 'ok' });
  }

  static async start(name = 'claude'): Promise<FakeAnthropic> {
    return new FakeAnthropic(name).listen();
  }

  /** Base URL as configured for `type: anthropic` (the version is part of it). */
  get url(): string {
    return `${this.origin}/v1`;
  }

  protected handle(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>): void {
    this.requests.push({ path, headers: req.headers, body });
    void this.respond(path, body, req, res);
  }

  private count(body: Record<string, unknown>, res: ServerResponse): void {
    countAnswer(body, this.nextFault(), res, this.name);
  }

  private async respond(path: string, body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const counting = path.split('?', 1)[0] === '/v1/messages/count_tokens';
    if (path !== '/v1/messages' && !counting) return sendError(res, 404, 'not_found_error', 'Not found');
    if (!req.headers['x-api-key']) return sendError(res, 401, 'authentication_error', 'x-api-key header is required');
    if (req.headers['anthropic-version'] !== '2023-06-01') return sendError(res, 400, 'invalid_request_error', 'anthropic-version: header is required');
    if (counting) return this.count(body, res);
    const invalid = validate(body);
    if (invalid) return sendError(res, 400, 'invalid_request_error', invalid);
    const fault = this.nextFault();
    if (fault.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'status') {
      const requestId = `req_fake${this.seq}`;
      const error = { type: fault.errorType ?? ERROR_TYPES[fault.status] ?? 'api_error', message: fault.message ?? `${this.name} says ${fault.status}` };
      return sendStatus(
        res,
        fault.status,
        { 'content-type': 'application/json', 'request-id': requestId },
        fault.retryAfter,
        fault.body ?? JSON.stringify({ type: 'error', error, request_id: requestId }),
      );
    }
    const id = `msg_${this.name}_${++this.seq}`;
    const model = String(body.model);
    const text = fault.kind === 'tool' ? (fault.text ?? '') : 'text' in fault && fault.text !== undefined ? fault.text : `Hello from ${this.name}`;
    const calls = fault.kind === 'tool' ? fault.calls.map((c, i) => ({ ...c, id: c.id ?? `toolu_${this.name}_${this.seq}_${i}` })) : [];
    const stopReason = fault.kind === 'ok' && fault.stopReason ? fault.stopReason : calls.length > 0 ? 'tool_use' : 'end_turn';
    const u = { input: 12, output: 5, cacheRead: 0, cacheWrite: 0, ...(fault.kind === 'ok' ? fault.usage : {}) };
    const extra = fault.kind === 'ok' ? fault.headers : undefined;
    const headers = { ...extra, 'request-id': `req_fake${this.seq}` };
    if (body.stream !== true) {
      const content = [...(text ? [{ type: 'text', text }] : []), ...calls.map((c) => ({ type: 'tool_use', id: c.id, name: c.name, input: c.input }))];
      const usage = { input_tokens: u.input, output_tokens: u.output, cache_creation_input_tokens: u.cacheWrite, cache_read_input_tokens: u.cacheRead };
      return sendJson(res, 200, { id, type: 'message', role: 'assistant', model, content, stop_reason: stopReason, stop_sequence: null, usage }, headers);
    }

    const events = streamEvents(id, model, text, calls, stopReason, u);
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const errorEvent = (errorType = 'overloaded_error', message = 'Overloaded') => `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: errorType, message } })}\n\n`;
    const stop =
      fault.kind === 'reset_after_events'
        ? { at: fault.events, reset: true as const, pause: true }
        : fault.kind === 'truncate_after_events'
          ? { at: fault.events }
          : fault.kind === 'stream_error' // after message_start, ping, content_block_start and the text deltas
            ? { at: 3 + fault.textEvents, last: errorEvent(fault.errorType, fault.message), pause: fault.textEvents > 0 }
            : undefined;
    if ('chunks' in fault && fault.chunks) await writeChunked(req, res, events, stop, fault.chunks);
    else await writeStream(req, res, events, stop, { chunkDelayMs: fault.kind === 'ok' ? fault.chunkDelayMs : undefined });
  }
}

/** `count_tokens`: the queued fault when it is an error, else `{input_tokens: COUNTED}`. */
function countAnswer(body: Record<string, unknown>, fault: AnthropicFault, res: ServerResponse, name: string): void {
  if (typeof body.model !== 'string') return sendError(res, 400, 'invalid_request_error', 'model: Field required');
  if (!Array.isArray(body.messages)) return sendError(res, 400, 'invalid_request_error', 'messages: Field required');
  if (fault.kind === 'status') {
    const error = { type: fault.errorType ?? ERROR_TYPES[fault.status] ?? 'api_error', message: fault.message ?? `${name} says ${fault.status}` };
    return sendStatus(res, fault.status, { 'content-type': 'application/json' }, fault.retryAfter, fault.body ?? JSON.stringify({ type: 'error', error }));
  }
  sendJson(res, 200, { input_tokens: FakeAnthropic.COUNTED });
}

/** The checks of the real API that a translator can get wrong. */
function validate(body: Record<string, unknown>): string | undefined {
  if (typeof body.model !== 'string') return 'model: Field required';
  if (typeof body.max_tokens !== 'number') return 'max_tokens: Field required';
  if (!Array.isArray(body.messages)) return 'messages: Field required';
  let previousToolUses = new Set<string>();
  for (const [i, m] of (body.messages as Array<{ role?: unknown; content?: unknown }>).entries()) {
    if (m.role !== 'user' && m.role !== 'assistant') return `messages.${i}.role: Input should be 'user' or 'assistant'`;
    const blocks = typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : Array.isArray(m.content) ? (m.content as Array<Record<string, unknown>>) : [];
    const uses = new Set<string>();
    for (const b of blocks) {
      if (b.type === 'text' && b.text === '') return `messages.${i}: text content blocks must be non-empty`;
      if (b.type === 'tool_use') {
        if (typeof b.input !== 'object' || b.input === null || Array.isArray(b.input)) return `messages.${i}: tool_use.input: Input should be an object`;
        uses.add(String(b.id));
      }
      if (b.type === 'tool_result' && !previousToolUses.has(String(b.tool_use_id))) {
        return `messages.${i}.content: unexpected \`tool_use_id\` found in \`tool_result\` blocks`;
      }
    }
    previousToolUses = uses;
  }
  return undefined;
}

function streamEvents(id: string, model: string, text: string, calls: Array<Required<FakeToolCall>>, stopReason: string, u: Required<FakeUsage>): string[] {
  const ev = (data: { type: string } & Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
  const startUsage = { input_tokens: u.input, output_tokens: 1, cache_creation_input_tokens: u.cacheWrite, cache_read_input_tokens: u.cacheRead };
  const out = [ev({ type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: startUsage } }), ev({ type: 'ping' })];
  let index = 0;
  if (text || calls.length === 0) {
    out.push(ev({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
    for (const w of text.split(/(?=\s)/)) out.push(ev({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: w } }));
    out.push(ev({ type: 'content_block_stop', index }));
    index++;
  }
  for (const c of calls) {
    out.push(ev({ type: 'content_block_start', index, content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} } }));
    const json = JSON.stringify(c.input);
    const half = Math.ceil(json.length / 2);
    for (const part of ['', json.slice(0, half), json.slice(half)]) out.push(ev({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } }));
    out.push(ev({ type: 'content_block_stop', index }));
    index++;
  }
  out.push(ev({ type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: u.output } }));
  out.push(ev({ type: 'message_stop' }));
  return out;
}

function sendError(res: ServerResponse, status: number, type: string, message: string): void {
  sendJson(res, status, { type: 'error', error: { type, message } });
}

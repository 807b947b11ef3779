import type { Readable } from 'node:stream';
import { OpenAISseRelay } from '../providers/openai-sse-relay.js';
import type { ProviderAdapter, UpstreamCall } from '../providers/types.js';
import { readUsage, type Usage } from '../telemetry/usage.js';
import type { AttemptResult } from './attempt-loop.js';
import { parseRetryAfter } from './classify.js';
import { UpstreamStream } from './upstream-stream.js';

/** What a decided attempt hands to the responder. */
export type Served =
  | { kind: 'json'; status: number; body: Buffer; usage?: Usage }
  | { kind: 'stream'; status: number; stream: UpstreamStream; streamUsage?: () => Usage | undefined }
  /** An upstream error the client gets as its own (not failed over). */
  | { kind: 'error'; status: number; body: Buffer; retryAfter?: string };

const MAX_ERROR_BODY = 64 * 1024;

/**
 * What an attempt reports back to the provider's key ring and rate tracking.
 */
export interface AttemptHooks {
  /** Every answer's status and headers (key ring, rate-limit tracking). */
  onResponse(status: number, headers: Record<string, string | string[] | undefined>, retryAfterMs: number | undefined): void;
  /** Removes the provider's keys from text about to be logged or shown. */
  redact(text: string): string;
}

/**
 * Runs one upstream call far enough to judge it: a JSON answer is read whole (it is small and must
 * parse); a stream is judged at its first whole event, so a stream that dies, sends an error event or
 * a broken event before anything reached the client is failed over like any other failure, and
 * nothing is buffered beyond that first event.
 */
export async function attemptUpstream(adapter: ProviderAdapter, call: UpstreamCall, hooks: AttemptHooks): Promise<AttemptResult<Served>> {
  const res = await adapter.send(call);
  const ok = res.status >= 200 && res.status < 300;
  hooks.onResponse(res.status, res.headers, ok ? undefined : parseRetryAfter(res.headers['retry-after']));
  if (!ok) {
    const body = await readAll(res.body, MAX_ERROR_BODY);
    const retryAfterHeader = res.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(retryAfterHeader);
    const { message, code } = describeError(body, hooks.redact);
    return {
      kind: 'failure',
      failure: {
        kind: 'status',
        status: res.status,
        ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
        ...(message ? { message } : {}),
        ...(code ? { code } : {}),
      },
      value: {
        kind: 'error',
        status: res.status,
        body,
        ...(typeof retryAfterHeader === 'string' ? { retryAfter: retryAfterHeader } : {}),
      },
    };
  }
  if (call.stream) {
    const n = call.body.n;
    const stream = new UpstreamStream(res.body, new OpenAISseRelay({ choices: typeof n === 'number' && n > 1 ? n : 1, redact: hooks.redact }));
    let first;
    try {
      first = await stream.firstEvent();
    } catch (err) {
      stream.destroy();
      throw err;
    }
    if (!first.ok) {
      stream.destroy();
      return { kind: 'failure', failure: { kind: 'malformed', detail: first.detail } };
    }
    return { kind: 'success', value: { kind: 'stream', status: res.status, stream, ...(res.streamUsage ? { streamUsage: res.streamUsage } : {}) } };
  }
  const body = await readAll(res.body, Infinity);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { kind: 'failure', failure: { kind: 'malformed', detail: 'response body is not valid JSON' } };
  }
  // Chat and completions answer with choices, embeddings with data: anything else is not an answer.
  const expected = call.endpoint === 'embeddings' ? 'data' : 'choices';
  if (parsed === null || typeof parsed !== 'object' || !(expected in parsed)) {
    return { kind: 'failure', failure: { kind: 'malformed', detail: `response has no "${expected}"` } };
  }
  const usage = readUsage(parsed);
  return { kind: 'success', value: { kind: 'json', status: res.status, body, ...(usage ? { usage } : {}) } };
}

/** Collects a body with plain listeners (an async iterator costs more than the body is worth here). */
function readAll(body: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      if (size < limit) chunks.push(chunk);
      size += chunk.length;
    });
    body.once('end', () => {
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      resolve(size > limit ? all.subarray(0, limit) : all);
    });
    body.once('error', reject);
  });
}

/** A short, key-free description of an upstream error body (message and code), for logs and decisions. */
function describeError(body: Buffer, redact: (text: string) => string): { message?: string; code?: string } {
  let text: string | undefined;
  let code: string | undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { message?: unknown; code?: unknown } | string; message?: unknown };
    const e = parsed.error;
    text = typeof e === 'string' ? e : typeof e?.message === 'string' ? e.message : typeof parsed.message === 'string' ? parsed.message : undefined;
    if (typeof e === 'object' && typeof e?.code === 'string') code = e.code;
  } catch {
    text = undefined;
  }
  if (!text) return code ? { code } : {};
  text = redact(text);
  return { message: text.length > 200 ? `${text.slice(0, 200)}…` : text, ...(code ? { code } : {}) };
}

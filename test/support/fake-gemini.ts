/**
 * A fake Google Gemini API on loopback, speaking its real wire format: `models/{model}:generateContent`
 * (JSON), `:streamGenerateContent?alt=sse` (SSE of whole GenerateContentResponse objects, CRLF-separated,
 * no end marker; without `alt=sse` one JSON array), `:batchEmbedContents` (`{embeddings: [{values}]}`,
 * the request checked as Google checks it), and Google's error envelope. Faults are queued per request
 * like FakeUpstream's.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerCommonFault, type Chunking, FakeServer, type ReceivedRequest, sendJson, sendStatus, sleep, writeChunked, writeStream } from './fake-server.js';

export interface FakeCall {
  name: string;
  args: Record<string, unknown>;
  thoughtSignature?: string;
}

export type GeminiFault =
  /** A text answer (streamed one word per event; `chunks`: the whole SSE body written cut that way). */
  | { kind: 'ok'; text?: string; delayMs?: number; chunkDelayMs?: number; finishReason?: string; thoughtsTokens?: number; splitBytes?: number; chunks?: Chunking }
  /** The model calls functions (after optional text); streamed as one event holding the whole calls. */
  | { kind: 'tool_call'; calls: FakeCall[]; text?: string; chunks?: Chunking }
  /** A Google error envelope (or `body` as it is); `reason` adds an ErrorInfo detail, `retryDelay` a RetryInfo. */
  | { kind: 'status'; status: number; googleStatus?: string; reason?: string; retryDelay?: string; retryAfter?: string; body?: string; contentType?: string }
  /** The prompt is blocked: no candidates, `promptFeedback.blockReason`. */
  | { kind: 'blocked'; reason: string }
  | { kind: 'reset' }
  /** Stream: this many events, then the connection drops. */
  | { kind: 'reset_after_chunks'; chunks: number }
  /** Stream: this many events, then a clean end (no finishReason ever sent). */
  | { kind: 'truncate_after_chunks'; chunks: number }
  /** Stream: this many events, then `data: {"error": …}` and the end. */
  | { kind: 'error_event_after_chunks'; chunks: number }
  | { kind: 'hang' }
  /** batchEmbedContents: answers these vectors as they are (whatever was asked). */
  | { kind: 'embeddings'; vectors: number[][] };

export interface GeminiRequestRecord extends ReceivedRequest {
  model: string;
  stream: boolean;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const GOOGLE_JSON = 'application/json; charset=UTF-8';

export const FAKE_USAGE = { promptTokenCount: 11, candidatesTokenCount: 4 };

/** The size of a fake embedding when the request sets no `outputDimensionality` (the real models give 768 to 3072). */
export const GEMINI_EMBED_DIMENSIONS = 6;

/**
 * The fake's embedding of the `index`-th text of a batch: `[index, characters, 0.5, 0.25, 0.125, …]`
 * (float32-exact), cut to `dimensions`.
 */
export function fakeGeminiVector(index: number, text: string, dimensions = GEMINI_EMBED_DIMENSIONS): number[] {
  return Array.from({ length: dimensions }, (_, k) => (k === 0 ? index : k === 1 ? [...text].length : 2 ** -(k - 1)));
}

export class FakeGemini extends FakeServer<GeminiFault, GeminiRequestRecord> {
  private seq = 0;

  private constructor(
    name: string,
    /** When set, any other `x-goog-api-key` gets Google's 400 API_KEY_INVALID. */
    private readonly expectKey: string | undefined,
  ) {
    super(name, { kind: 'ok' });
  }

  static async start(name = 'gemini', options: { expectKey?: string } = {}): Promise<FakeGemini> {
    return new FakeGemini(name, options.expectKey).listen();
  }

  /** Base URL as providers are configured with it (version included). */
  get url(): string {
    return `${this.origin}/v1beta`;
  }

  protected handle(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>): void {
    const m = /^\/v1beta\/models\/([^/:?]+):(generateContent|streamGenerateContent|batchEmbedContents)(\?.*)?$/.exec(path);
    this.requests.push({ path, headers: req.headers, body, model: m?.[1] ?? '', stream: m?.[2] === 'streamGenerateContent' });
    if (!m || req.method !== 'POST') return sendGoogleJson(res, 404, googleError(404, `${this.name}: no route for ${req.method ?? ''} ${path.split('?')[0] ?? ''}`));
    if (this.expectKey !== undefined && req.headers['x-goog-api-key'] !== this.expectKey) {
      return sendGoogleJson(res, 400, googleError(400, 'API key not valid. Please pass a valid API key.', undefined, 'API_KEY_INVALID'));
    }
    const fault = this.nextFault();
    if (m[2] === 'batchEmbedContents') return void this.embed(decodeURIComponent(m[1]!), body, fault, req, res);
    const stream = m[2] === 'streamGenerateContent';
    void this.respond(decodeURIComponent(m[1]!), stream, stream && /[?&]alt=sse(&|$)/.test(m[3] ?? ''), fault, req, res);
  }

  private async respond(model: string, stream: boolean, sse: boolean, fault: GeminiFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (answerCommonFault(fault, req, res)) return;
    if (fault.kind === 'status') {
      const error = googleError(fault.status, `${this.name} says ${fault.status}`, fault.googleStatus, fault.reason, fault.retryDelay);
      return sendStatus(res, fault.status, { 'content-type': fault.contentType ?? GOOGLE_JSON }, fault.retryAfter, fault.body ?? JSON.stringify(error));
    }
    if (fault.kind === 'ok' && fault.delayMs) await sleep(fault.delayMs);
    const events = this.answer(model, fault, stream);
    if (!stream) return sendGoogleJson(res, 200, events[0]);
    if (!sse) return sendGoogleJson(res, 200, events);

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunks = events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`);
    if ((fault.kind === 'ok' || fault.kind === 'tool_call') && fault.chunks) return writeChunked(req, res, chunks, undefined, fault.chunks);
    if (fault.kind === 'ok' && fault.splitBytes) {
      // The whole stream in small byte slices, cutting through events and multi-byte characters.
      const bytes = Buffer.from(chunks.join(''));
      for (let at = 0; at < bytes.length && !res.destroyed; at += fault.splitBytes) {
        res.write(bytes.subarray(at, at + fault.splitBytes));
        await sleep(1);
      }
      res.end();
      return;
    }
    const stop =
      fault.kind === 'reset_after_chunks'
        ? { at: fault.chunks, reset: true as const }
        : fault.kind === 'truncate_after_chunks'
          ? { at: fault.chunks }
          : fault.kind === 'error_event_after_chunks'
            ? { at: fault.chunks, last: `data: ${JSON.stringify(googleError(500, 'An internal error has occurred.'))}\r\n\r\n` }
            : undefined;
    await writeStream(req, res, chunks, stop, { chunkDelayMs: fault.kind === 'ok' ? fault.chunkDelayMs : undefined });
  }

  /** `batchEmbedContents`: the batch checked as Google checks it, then one vector per request. */
  private async embed(model: string, body: Record<string, unknown>, fault: GeminiFault, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (answerCommonFault(fault, req, res)) return;
    if (fault.kind === 'status') {
      const error = googleError(fault.status, `${this.name} says ${fault.status}`, fault.googleStatus, fault.reason, fault.retryDelay);
      return sendStatus(res, fault.status, { 'content-type': fault.contentType ?? GOOGLE_JSON }, fault.retryAfter, fault.body ?? JSON.stringify(error));
    }
    if (fault.kind === 'ok' && fault.delayMs) await sleep(fault.delayMs);
    const problem = embedRequestProblem(model, body);
    if (problem) return sendGoogleJson(res, 400, googleError(400, problem));
    if (fault.kind === 'embeddings') return sendGoogleJson(res, 200, { embeddings: fault.vectors.map((values) => ({ values })) });
    const requests = body.requests as EmbedContentRequest[];
    const embeddings = requests.map((r, i) => ({ values: fakeGeminiVector(i, r.content.parts.map((p) => p.text).join(''), r.outputDimensionality) }));
    return sendGoogleJson(res, 200, { embeddings });
  }

  /** The GenerateContentResponse objects of one answer: one whole object, or the stream's events. */
  private answer(model: string, fault: GeminiFault, stream: boolean): Array<Record<string, unknown>> {
    const responseId = `resp-${this.name}-${++this.seq}`;
    const thoughts = fault.kind === 'ok' ? fault.thoughtsTokens : undefined;
    const usage = {
      ...FAKE_USAGE,
      ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
      totalTokenCount: FAKE_USAGE.promptTokenCount + FAKE_USAGE.candidatesTokenCount + (thoughts ?? 0),
    };
    const event = (parts: unknown[], finishReason?: string, last = false) => ({
      candidates: [{ content: { role: 'model', parts }, ...(finishReason ? { finishReason } : {}), index: 0 }],
      usageMetadata: last ? usage : { promptTokenCount: FAKE_USAGE.promptTokenCount, totalTokenCount: FAKE_USAGE.promptTokenCount },
      modelVersion: model,
      responseId,
    });
    if (fault.kind === 'blocked') {
      return [{ promptFeedback: { blockReason: fault.reason }, usageMetadata: { promptTokenCount: 11, totalTokenCount: 11 }, modelVersion: model, responseId }];
    }
    if (fault.kind === 'tool_call') {
      const calls = fault.calls.map((c) => ({ functionCall: { name: c.name, args: c.args }, ...(c.thoughtSignature ? { thoughtSignature: c.thoughtSignature } : {}) }));
      const text = fault.text ? [{ text: fault.text }] : [];
      if (!stream) return [event([...text, ...calls], 'STOP', true)];
      return [...(fault.text ? [event(text)] : []), event(calls, 'STOP', true)];
    }
    const text = (fault.kind === 'ok' && fault.text) || `Hello from ${this.name}`;
    const finishReason = (fault.kind === 'ok' && fault.finishReason) || 'STOP';
    if (!stream) return [event([{ text }], finishReason, true)];
    const words = text.split(/(?=\s)/);
    return words.map((w, i) => (i === words.length - 1 ? event([{ text: w }], finishReason, true) : event([{ text: w }])));
  }
}

interface EmbedContentRequest {
  model: string;
  content: { parts: Array<{ text: string }> };
  outputDimensionality?: number;
}

/** Why Google would refuse a `batchEmbedContents` body for `model` (the URL's), in its words; undefined: it would not. */
function embedRequestProblem(model: string, body: Record<string, unknown>): string | undefined {
  const requests = body.requests;
  if (!Array.isArray(requests) || requests.length === 0) return '* BatchEmbedContentsRequest.requests: at least one request is required.';
  if (requests.length > 100) return '* BatchEmbedContentsRequest.requests: at most 100 requests can be in one batch';
  for (const [i, r] of requests.entries()) {
    const at = `BatchEmbedContentsRequest.requests[${i}]`;
    if (typeof r !== 'object' || r === null) return `* ${at}: must be an object`;
    const { model: named, content, outputDimensionality } = r as Record<string, unknown>;
    if (named !== `models/${model}`) return `* ${at}.model: Model names must match the model in the URL (models/${model}), got ${JSON.stringify(named)}`;
    const parts = (content as { parts?: unknown } | undefined)?.parts;
    if (!Array.isArray(parts) || parts.length === 0) return `* ${at}.content.parts: contents.parts must not be empty.`;
    if (!parts.every((p: unknown) => typeof (p as { text?: unknown } | null)?.text === 'string')) return `* ${at}.content.parts: only text parts can be embedded`;
    if (outputDimensionality !== undefined && !(Number.isInteger(outputDimensionality) && (outputDimensionality as number) > 0)) {
      return `* ${at}.output_dimensionality: must be a positive integer`;
    }
  }
  return undefined;
}

export function googleError(code: number, message: string, status?: string, reason?: string, retryDelay?: string) {
  const details: Array<Record<string, unknown>> = [];
  if (reason) details.push({ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } });
  if (retryDelay) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay });
  return { error: { code, message, status: status ?? STATUS_NAMES[code] ?? 'UNKNOWN', ...(details.length > 0 ? { details } : {}) } };
}

function sendGoogleJson(res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, {}, GOOGLE_JSON);
}

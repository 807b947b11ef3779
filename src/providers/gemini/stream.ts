import type { Transform } from 'node:stream';
import type { Usage } from '../../telemetry/usage.js';
import type { OpenAIUsage } from '../openai-wire.js';
import { SSE_DONE, SseParser, sseData } from '../sse.js';
import { isObject, parseJson } from '../translating/guards.js';
import { StreamTranslationError, type StreamTranslator, translatedStream } from '../translating/translated-stream.js';
import { finishReasonOf, type ResponseContext, toOpenAIUsage, toToolCall } from './response.js';
import type { GeminiCandidate } from './wire.js';

export interface StreamContext extends ResponseContext {
  /** The client asked for `stream_options.include_usage`: send the usage chunk before `[DONE]`. */
  includeUsage: boolean;
}

/** A stream that is one JSON document instead of SSE (an error, or the array form) is read whole, up to this. */
const MAX_JSON_BODY = 1024 * 1024;

/** Thrown to end the translated stream; `code` names the cause in the gateway's attempt list and logs. */
export class GeminiStreamError extends StreamTranslationError {
  constructor(message: string, code: 'GEMINI_STREAM_ERROR' | 'GEMINI_STREAM_TRUNCATED' | 'GEMINI_STREAM_MALFORMED') {
    super(message, code);
  }
}

/**
 * `streamGenerateContent?alt=sse` text → OpenAI chunk text. Every Gemini event is a whole
 * GenerateContentResponse holding the next fragment: text becomes content deltas, a function call (sent
 * whole) one tool-call delta with complete arguments, a `finishReason` the finish chunk. Gemini has no
 * end marker: `end()` requires a finishReason for every candidate seen, then adds usage and `[DONE]`.
 * A failure throws; when it comes after other events of the same `push`, those are returned first and
 * the failure is thrown by the next call.
 */
export class GeminiStreamTranslator implements StreamTranslator {
  private readonly sse = new SseParser();
  private mode: 'unknown' | 'sse' | 'json' = 'unknown';
  private pending = '';
  private model: string;
  private readonly started = new Set<number>();
  private readonly finished = new Set<number>();
  private readonly toolCalls = new Map<number, number>();
  private lastUsage: OpenAIUsage | undefined;
  private failure: Error | undefined;

  constructor(private readonly ctx: StreamContext) {
    this.model = ctx.model;
  }

  push(text: string): string {
    if (this.failure) throw this.failure;
    if (this.mode === 'unknown') {
      this.pending += text;
      const first = this.pending.trimStart()[0];
      if (first === undefined) return '';
      text = this.pending;
      this.pending = '';
      // A bare JSON document instead of events: an error object, or the non-SSE array form.
      this.mode = first === '{' || first === '[' ? 'json' : 'sse';
    }
    if (this.mode === 'json') {
      this.pending += text;
      if (this.pending.length > MAX_JSON_BODY) throw new GeminiStreamError('Gemini sent a stream that is neither SSE nor a JSON document', 'GEMINI_STREAM_MALFORMED');
      return '';
    }
    let out = '';
    for (const ev of this.sse.push(text)) {
      try {
        out += this.event(ev.data);
      } catch (err) {
        if (out === '') throw err;
        this.failure = err as Error;
        break;
      }
    }
    return out;
  }

  end(): string {
    if (this.failure) throw this.failure;
    let out = '';
    if (this.mode === 'json') {
      const doc = parseJson(this.pending);
      if (doc === undefined) throw new GeminiStreamError('Gemini sent a stream that is neither SSE nor a JSON document', 'GEMINI_STREAM_MALFORMED');
      for (const obj of Array.isArray(doc) ? doc : [doc]) out += this.handle(obj);
    } else {
      // A last event without its blank line still counts.
      for (const ev of this.sse.push('\n\n')) out += this.event(ev.data);
    }
    if (this.finished.size === 0 || [...this.started].some((i) => !this.finished.has(i))) {
      throw new GeminiStreamError('Gemini stream ended without a finishReason', 'GEMINI_STREAM_TRUNCATED');
    }
    if (this.ctx.includeUsage && this.lastUsage) out += sseData(Object.assign(this.frame([]), { usage: this.lastUsage }));
    return out + SSE_DONE;
  }

  /** Token usage as last reported by the stream (Gemini repeats running totals). */
  usage(): Usage | undefined {
    return this.lastUsage ? { promptTokens: this.lastUsage.prompt_tokens, completionTokens: this.lastUsage.completion_tokens } : undefined;
  }

  private event(data: string): string {
    if (data.trim() === '') return '';
    const obj = parseJson(data);
    if (obj === undefined) throw new GeminiStreamError('Gemini sent a stream event that is not JSON', 'GEMINI_STREAM_MALFORMED');
    return this.handle(obj);
  }

  private handle(obj: unknown): string {
    if (!isObject(obj)) throw new GeminiStreamError('Gemini sent a stream event that is not an object', 'GEMINI_STREAM_MALFORMED');
    if (isObject(obj.error)) {
      const e = obj.error;
      const what = [typeof e.code === 'number' ? String(e.code) : '', typeof e.status === 'string' ? e.status : ''].filter(Boolean).join(' ');
      throw new GeminiStreamError(`Gemini reported an error mid-stream${what ? ` (${what})` : ''}`, 'GEMINI_STREAM_ERROR');
    }
    if (typeof obj.modelVersion === 'string' && this.started.size === 0) this.model = obj.modelVersion;
    if (isObject(obj.usageMetadata)) this.lastUsage = toOpenAIUsage(obj.usageMetadata);
    let out = '';
    const candidates = Array.isArray(obj.candidates) ? obj.candidates.filter(isObject) : [];
    candidates.forEach((c, i) => {
      out += this.candidate(c as GeminiCandidate, i);
    });
    const feedback = obj.promptFeedback;
    if (candidates.length === 0 && this.started.size === 0 && isObject(feedback) && typeof feedback.blockReason === 'string') {
      // The prompt was blocked: the status is long sent, so it ends as a filtered, empty answer.
      out += this.start(0) + this.chunk(0, {}, 'content_filter');
      this.finished.add(0);
    }
    return out;
  }

  private candidate(c: GeminiCandidate, position: number): string {
    const index = typeof c.index === 'number' ? c.index : position;
    if (this.finished.has(index)) return '';
    let out = this.start(index);
    let text = '';
    const flushText = () => {
      if (text !== '') out += this.chunk(index, { content: text });
      text = '';
    };
    for (const part of c.content?.parts ?? []) {
      if (!isObject(part)) continue;
      if (typeof part.text === 'string' && part.thought !== true) text += part.text;
      else if (isObject(part.functionCall) && typeof part.functionCall.name === 'string') {
        flushText();
        const n = this.toolCalls.get(index) ?? 0;
        this.toolCalls.set(index, n + 1);
        const call = toToolCall(part.functionCall.name, part.functionCall, typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined, this.ctx);
        out += this.chunk(index, { tool_calls: [{ index: n, ...call }] });
      }
    }
    flushText();
    if (typeof c.finishReason === 'string') {
      this.finished.add(index);
      out += this.chunk(index, {}, finishReasonOf(c.finishReason, (this.toolCalls.get(index) ?? 0) > 0));
    }
    return out;
  }

  /** The first chunk of a choice carries the role. */
  private start(index: number): string {
    if (this.started.has(index)) return '';
    this.started.add(index);
    return this.chunk(index, { role: 'assistant', content: '' });
  }

  private chunk(index: number, delta: Record<string, unknown>, finishReason: string | null = null): string {
    return sseData(this.frame([{ index, delta, logprobs: null, finish_reason: finishReason }]));
  }

  private frame(choices: unknown[]) {
    return { id: this.ctx.id, object: 'chat.completion.chunk', created: this.ctx.created, model: this.model, choices };
  }
}

/** The translator as a Transform to pipe Gemini's body into; failures reported as for every translating adapter. */
export function openAIStream(translator: GeminiStreamTranslator): Transform {
  return translatedStream(translator);
}

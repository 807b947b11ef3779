/** Anthropic Messages event stream → OpenAI chat.completion.chunk SSE (protocols.md 4.3). */
import type { Readable, Transform } from 'node:stream';
import type { Usage } from '../../telemetry/usage.js';
import type { OpenAIErrorObject } from '../openai-wire.js';
import { SSE_DONE, type SseEvent, SseParser, sseData } from '../sse.js';
import { finiteNumber, isObject, type JsonObject, parseJson } from '../translating/guards.js';
import { pipeTranslated, StreamTranslationError, type StreamTranslator } from '../translating/translated-stream.js';
import { openAIErrorType, readAnthropicError } from './errors.js';
import { type AnthropicUsage, finishReason, readAnthropicUsage, toOpenAIUsage } from './response.js';

/** The stream failed (an `error` event, a malformed event, or an end before `message_stop`); `code` is Anthropic's error type or the cause. */
export class AnthropicStreamError extends StreamTranslationError {}

export interface StreamOptions {
  includeUsage: boolean;
  nowMs: number;
  /** Used until `message_start` names the model. */
  model: string;
}

/**
 * Per-stream state. The role chunk is held back until there is something to say (text, a tool call
 * or the finish), so a stream that fails right after `message_start` has emitted nothing and the
 * gateway can still fail over.
 */
export class AnthropicStreamTranslator implements StreamTranslator {
  private readonly parser = new SseParser();
  private id: string;
  private model: string;
  private readonly created: number;
  private counts: AnthropicUsage | undefined;
  private stopReason: unknown = null;
  private readonly toolIndexByBlock = new Map<number, number>();
  private nextTool = 0;
  private started = false;
  private finished = false;
  private done = false;

  constructor(private readonly o: StreamOptions) {
    this.id = `chatcmpl-${o.nowMs.toString(36)}`;
    this.model = o.model;
    this.created = Math.floor(o.nowMs / 1000);
  }

  /** Provider text in (any split), OpenAI SSE text out; throws AnthropicStreamError on failure. */
  push(text: string): string {
    let out = '';
    for (const ev of this.parser.push(text)) {
      if (this.done) break;
      try {
        out += this.handle(ev);
      } catch (err) {
        if (err instanceof AnthropicStreamError) throw err.precededBy(out);
        throw err;
      }
    }
    return out;
  }

  /** The provider's stream ended: fine after `message_stop`, otherwise the answer was cut short. */
  end(): string {
    const out = this.done ? '' : this.push('\n\n');
    if (!this.done) throw new AnthropicStreamError('The Anthropic stream ended before message_stop.', 'stream_truncated', out);
    return out;
  }

  /** Whether `message_stop` arrived: the answer is whole. */
  get complete(): boolean {
    return this.done;
  }

  /** Token usage seen so far (complete once the stream has ended). */
  usage(): Usage | undefined {
    if (!this.counts) return undefined;
    const u = toOpenAIUsage(this.counts);
    return { promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens };
  }

  private handle(ev: SseEvent): string {
    const data = parseJson(ev.data);
    if (data === undefined) throw new AnthropicStreamError('The Anthropic stream sent an event that is not JSON.', 'malformed_event');
    if (!isObject(data)) throw new AnthropicStreamError('The Anthropic stream sent an event that is not an object.', 'malformed_event');
    const type = typeof data.type === 'string' ? data.type : ev.event;
    switch (type) {
      case 'message_start':
        return this.onMessageStart(data.message);
      case 'content_block_start':
        return this.onBlockStart(data);
      case 'content_block_delta':
        return this.onBlockDelta(data);
      case 'message_delta':
        return this.onMessageDelta(data);
      case 'message_stop':
        return this.onMessageStop();
      case 'error': {
        const e = readAnthropicError(data);
        const kind = e.type ?? 'error';
        throw new AnthropicStreamError(`Anthropic stream error (${kind}): ${e.message ?? 'no message'}`, kind);
      }
      default:
        return ''; // ping, content_block_stop, unknown events
    }
  }

  private onMessageStart(message: unknown): string {
    if (!isObject(message)) return '';
    if (typeof message.id === 'string') this.id = message.id;
    if (typeof message.model === 'string' && message.model) this.model = message.model;
    this.counts = readAnthropicUsage(message.usage) ?? this.counts;
    return '';
  }

  private onBlockStart(data: JsonObject): string {
    const block = data.content_block;
    if (!isObject(block) || typeof data.index !== 'number') return '';
    if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') return this.emit({ content: block.text });
    if (block.type !== 'tool_use') return ''; // thinking and server-tool blocks: no OpenAI equivalent
    const index = this.nextTool++;
    this.toolIndexByBlock.set(data.index, index);
    return this.emit({ tool_calls: [{ index, id: String(block.id ?? ''), type: 'function', function: { name: String(block.name ?? ''), arguments: '' } }] });
  }

  private onBlockDelta(data: JsonObject): string {
    const d = data.delta;
    if (!isObject(d)) return '';
    if (d.type === 'text_delta' && typeof d.text === 'string' && d.text !== '') return this.emit({ content: d.text });
    if (d.type === 'input_json_delta' && typeof d.partial_json === 'string' && d.partial_json !== '' && typeof data.index === 'number') {
      const index = this.toolIndexByBlock.get(data.index);
      if (index !== undefined) return this.emit({ tool_calls: [{ index, function: { arguments: d.partial_json } }] });
    }
    return ''; // thinking, signature and citation deltas
  }

  private onMessageDelta(data: JsonObject): string {
    if (isObject(data.delta) && data.delta.stop_reason !== undefined && data.delta.stop_reason !== null) this.stopReason = data.delta.stop_reason;
    if (isObject(data.usage)) {
      // Cumulative counts: each non-null value replaces the one held.
      const u = data.usage;
      const c = this.counts ?? { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 };
      const n = (v: unknown, old: number) => finiteNumber(v) ?? old;
      this.counts = {
        input: n(u.input_tokens, c.input),
        output: n(u.output_tokens, c.output),
        cacheRead: n(u.cache_read_input_tokens, c.cacheRead),
        cacheWrite: n(u.cache_creation_input_tokens, c.cacheWrite),
      };
    }
    return this.finish();
  }

  private onMessageStop(): string {
    let out = this.finish();
    if (this.o.includeUsage && this.counts) out += sseData({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage: toOpenAIUsage(this.counts) });
    this.done = true;
    return out + SSE_DONE;
  }

  private finish(): string {
    if (this.finished) return '';
    this.finished = true;
    return this.emit({}, finishReason(this.stopReason));
  }

  /** One chunk, preceded by the role chunk when it is the first. */
  private emit(delta: JsonObject, finish: string | null = null): string {
    let out = '';
    if (!this.started) {
      this.started = true;
      out += this.chunk({ role: 'assistant', content: '' }, null);
    }
    return out + this.chunk(delta, finish);
  }

  private chunk(delta: JsonObject, finish: string | null): string {
    return sseData({ id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  }
}

/** The OpenAI error for a failure the stream reported in-band: Anthropic's error type mapped as for HTTP errors. */
export function anthropicInBandError(err: StreamTranslationError): OpenAIErrorObject {
  const mapped = openAIErrorType(err.code, 500);
  return { message: err.message, type: mapped.type, param: null, code: mapped.code ?? err.code };
}

/**
 * The translator over the provider's body, as the adapter runs it: bytes in (decoded across chunk
 * boundaries), OpenAI SSE out, failures reported as for every translating adapter (`pipeTranslated`).
 */
export function anthropicToOpenAIStream(source: Readable, t: AnthropicStreamTranslator): Transform {
  return pipeTranslated(source, t, { inBandError: anthropicInBandError });
}

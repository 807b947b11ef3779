/**
 * Ollama's NDJSON chat stream → OpenAI chat.completion.chunk SSE text. Fed decoded text in any
 * splits (`push`), then `end()`. Throws on an `{"error":...}` line, on a line that is not JSON, and
 * on a stream that ends without its `done: true` line, so the gateway never mistakes a failure for
 * a clean end. How a failure then reaches the gateway is the framework's rule (`translatedStream`).
 */
import type { Transform } from 'node:stream';
import type { Usage } from '../../telemetry/usage.js';
import type { OpenAIUsage } from '../openai-wire.js';
import { NdjsonLineError, NdjsonParser, SSE_DONE, sseData } from '../sse.js';
import { isObject, type JsonObject } from '../translating/guards.js';
import { StreamTranslationError, type StreamTranslator, translatedStream } from '../translating/translated-stream.js';
import { createdFrom, finishReason, type IdSource, toolCallsFrom, toUsage, usageFrom } from './response.js';

/** A stream failure; `code` is what the gateway logs (never the provider's text or the prompt). */
export class OllamaStreamError extends StreamTranslationError {
  constructor(message: string, code: 'OLLAMA_ERROR_EVENT' | 'OLLAMA_MALFORMED_LINE' | 'OLLAMA_STREAM_TRUNCATED') {
    super(message, code);
  }
}

export interface StreamOptions {
  /** The upstream model asked for (used until Ollama names one). */
  model: string;
  /** The client asked for `stream_options.include_usage`. */
  includeUsage: boolean;
  ids: IdSource;
  now?: () => number;
}

export class OllamaStreamTranslator implements StreamTranslator {
  private readonly parser = new NdjsonParser();
  private created: number | undefined;
  private model: string;
  private begun = false;
  private done = false;
  private toolCalls = 0;
  private finalUsage: OpenAIUsage | undefined;

  constructor(private readonly o: StreamOptions) {
    this.model = o.model;
  }

  /** Whether the `done` line arrived: the answer is whole. */
  get complete(): boolean {
    return this.done;
  }

  /** Token usage, once the `done` line has arrived. */
  get usage(): Usage | undefined {
    return this.finalUsage ? toUsage(this.finalUsage) : undefined;
  }

  push(text: string): string {
    return this.lines(() => this.parser.push(text));
  }

  end(): string {
    const out = this.lines(() => this.parser.end());
    if (!this.done) throw new OllamaStreamError('The Ollama stream ended before its final line.', 'OLLAMA_STREAM_TRUNCATED').precededBy(out);
    return out;
  }

  /** Translates the lines `parse` gives; a line that is not JSON fails after the lines before it. */
  private lines(parse: () => unknown[]): string {
    let parsed: unknown[];
    let malformed = false;
    try {
      parsed = parse();
    } catch (err) {
      if (!(err instanceof NdjsonLineError)) throw err;
      parsed = err.before;
      malformed = true;
    }
    let out = '';
    for (const line of parsed) {
      try {
        out += this.line(line);
      } catch (err) {
        if (err instanceof OllamaStreamError) throw err.precededBy(out);
        throw err;
      }
    }
    // Anything after the done line is ignored, like every other line after it.
    if (malformed && !this.done) {
      // The message never quotes the line (model output): it stays out of errors and logs.
      throw new OllamaStreamError('Ollama sent a line that is not JSON.', 'OLLAMA_MALFORMED_LINE').precededBy(out);
    }
    return out;
  }

  private line(r: unknown): string {
    if (this.done) return '';
    if (!isObject(r)) throw new OllamaStreamError('Ollama sent a line that is not an object.', 'OLLAMA_MALFORMED_LINE');
    if (r.error !== undefined) {
      const msg = typeof r.error === 'string' ? r.error : isObject(r.error) && typeof r.error.message === 'string' ? r.error.message : 'error';
      throw new OllamaStreamError(`Ollama reported an error mid-stream: ${msg}`, 'OLLAMA_ERROR_EVENT');
    }
    if (this.created === undefined) this.created = createdFrom(r.created_at, this.o.now);
    if (typeof r.model === 'string' && r.model !== '') this.model = r.model;
    let out = '';
    if (!this.begun) {
      this.begun = true;
      out += this.chunk({ role: 'assistant', content: '' });
    }
    const m = isObject(r.message) ? r.message : {};
    if (typeof m.thinking === 'string' && m.thinking !== '') out += this.chunk({ reasoning_content: m.thinking });
    if (typeof m.content === 'string' && m.content !== '') out += this.chunk({ content: m.content });
    // Ollama sends each tool call whole: one chunk per call, name and full arguments at once.
    for (const call of toolCallsFrom(m, this.o.ids, this.toolCalls)) {
      out += this.chunk({ tool_calls: [{ index: this.toolCalls++, ...call }] });
    }
    if (r.done === true) {
      this.done = true;
      this.finalUsage = usageFrom(r);
      out += this.chunk({}, finishReason(r.done_reason, this.toolCalls > 0));
      if (this.o.includeUsage) out += sseData(Object.assign(this.head(), { choices: [], usage: this.finalUsage }));
      out += SSE_DONE;
    }
    return out;
  }

  private head() {
    return { id: this.o.ids.completion, object: 'chat.completion.chunk', created: this.created ?? createdFrom(undefined, this.o.now), model: this.model };
  }

  private chunk(delta: JsonObject, finish: string | null = null): string {
    // Object.assign onto the head, not a spread of it: Node 20 takes a slow path for `{ ...a, b }`.
    return sseData(Object.assign(this.head(), { choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] }, this.o.includeUsage ? { usage: null } : undefined));
  }
}

/** The translator as a Transform to pipe Ollama's body into; failures reported as for every translating adapter. */
export function ollamaToOpenAIStream(t: OllamaStreamTranslator): Transform {
  return translatedStream(t);
}

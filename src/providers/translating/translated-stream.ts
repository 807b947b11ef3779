/**
 * How a provider's stream, translated, reaches the gateway: one rule for every protocol.
 *
 * A failure (an error event, a malformed event, a cut, a broken connection) before anything was emitted
 * errors the stream, so the gateway, still waiting for the first chunk, fails over. After that, the
 * failure goes in-band: what was translated, then an OpenAI `data: {"error": ...}` line (the SDK throws
 * it as an APIError with the provider's message), then the end, without `[DONE]` (the gateway reports
 * the cut). An `error` emitted once the first chunk went out could be lost between the gateway's
 * first-chunk read and its piping, leaving the client waiting. A failure once the answer was whole
 * changes nothing.
 */
import type { Readable, Transform } from 'node:stream';
import type { OpenAIErrorObject } from '../openai-wire.js';
import { sseData, translateStream } from '../sse.js';
import type { Redact } from './key-redaction.js';

/**
 * A translation failure. `code` names the cause in the gateway's attempt list and logs (never the
 * provider's text or the prompt); `emitted` holds the OpenAI text translated in the same call before
 * the failure, still to be delivered, in order.
 *
 * @example
 * throw new StreamTranslationError('The Ollama stream ended before its final line.', 'OLLAMA_STREAM_TRUNCATED');
 */
export class StreamTranslationError extends Error {
  constructor(
    message: string,
    readonly code: string,
    public emitted = '',
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** Puts `text` (translated before the failure) ahead of what the error already carries. */
  precededBy(text: string): this {
    this.emitted = text + this.emitted;
    return this;
  }
}

/**
 * Provider stream text in (any split), OpenAI SSE text out. Throws a StreamTranslationError on failure.
 *
 * @example
 * const t: StreamTranslator = new GeminiStreamTranslator({ ...ctx, includeUsage: false });
 * const sse = t.push('data: {"candidates":[...]}\n\n') + t.end();
 */
export interface StreamTranslator {
  push(text: string): string;
  /** The provider's stream ended: the last lines (usage, `[DONE]`), or a throw when it was cut short. */
  end(): string;
  /** Whether the provider said the answer is whole (for protocols with an end marker). */
  readonly complete?: boolean;
}

/**
 * How failures are reported: the in-band error's fields, and the redaction of provider text.
 *
 * @example
 * const options: StreamFailureOptions = { inBandError: anthropicInBandError, redact: redaction.of(call.apiKey) };
 */
export interface StreamFailureOptions {
  /** The OpenAI error for a translation failure sent in-band (default: server_error, upstream_stream_error). */
  inBandError?: (err: StreamTranslationError) => OpenAIErrorObject;
  /** Applied to error text taken from the provider (the call's key). */
  redact?: Redact;
}

/**
 * The translator as a Transform to pipe the provider's body into; after an in-band failure the rest of
 * the input is read and dropped.
 *
 * @example
 * pipeline(res.body, translatedStream(new OllamaStreamTranslator(options)), () => undefined);
 */
export function translatedStream(translator: StreamTranslator, options: StreamFailureOptions = {}): Transform {
  return guardedTransform(translator, new FailureGuard(translator, options));
}

/**
 * The translator over the provider's body, which it owns: an in-band failure stops reading it, a
 * connection failure is reported like any other, and a reader that stops reading (destroys the
 * result) closes it.
 *
 * @example
 * const body = pipeTranslated(res.body, new AnthropicStreamTranslator(options), { inBandError, redact });
 */
export function pipeTranslated(source: Readable, translator: StreamTranslator, options: StreamFailureOptions = {}): Transform {
  const guard = new FailureGuard(translator, options, () => {
    source.unpipe(out);
    source.destroy();
    out.end();
  });
  const out = guardedTransform(translator, guard);
  source.on('error', (err: Error) => {
    if (guard.failed) return;
    // Nothing out yet: an error, so the gateway fails over. Else reported after what is still queued.
    if (!guard.emitted && !translator.complete) return void out.destroy(guard.redacted(err));
    guard.failAtEnd(err);
    source.unpipe(out);
    out.end();
  });
  out.once('close', () => source.destroy());
  source.pipe(out);
  return out;
}

function guardedTransform(translator: StreamTranslator, guard: FailureGuard): Transform {
  return translateStream(
    (text) => guard.step(() => translator.push(text)),
    () => guard.step(() => guard.endWith(() => translator.end())),
  );
}

/** Tracks what went out, and turns each failure into a throw (nothing out yet) or in-band text. */
class FailureGuard {
  emitted = false;
  failed = false;
  private pending: Error | undefined;

  constructor(
    private readonly translator: StreamTranslator,
    private readonly options: StreamFailureOptions,
    private readonly onInBandFailure?: () => void,
  ) {}

  step(translate: () => string): string {
    if (this.failed) return '';
    try {
      const out = translate();
      if (out !== '') this.emitted = true;
      return out;
    } catch (err) {
      return this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Reports `err` when the stream ends instead of ending it normally. */
  failAtEnd(err: Error): void {
    this.pending = err;
  }

  endWith(end: () => string): string {
    if (this.pending) throw this.pending;
    return end();
  }

  redacted(err: Error): Error {
    if (this.options.redact) err.message = this.options.redact(err.message);
    return err;
  }

  private fail(err: Error): string {
    const before = err instanceof StreamTranslationError ? err.emitted : '';
    if (!this.emitted && before === '' && !this.translator.complete) throw this.redacted(err);
    this.failed = true;
    this.onInBandFailure?.();
    if (this.translator.complete) return '';
    const line = sseData({ error: this.inBandError(err) });
    return before + (this.options.redact ? this.options.redact(line) : line);
  }

  private inBandError(err: Error): OpenAIErrorObject {
    if (err instanceof StreamTranslationError) {
      return this.options.inBandError?.(err) ?? { message: err.message, type: 'server_error', param: null, code: 'upstream_stream_error' };
    }
    const code = (err as { code?: unknown }).code;
    return { message: 'The connection to the provider failed mid-stream.', type: 'server_error', param: null, code: typeof code === 'string' ? code : 'upstream_stream_error' };
  }
}

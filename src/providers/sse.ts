import { Transform, type TransformCallback } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * The lines of a text that arrives in pieces. A line's pieces are kept apart until its `\n` arrives and
 * only then joined, and each piece is searched once: linear in the text however finely it is cut (joining
 * or rescanning a growing buffer on every piece costs seconds of CPU for a 1 MB event in 1 KB reads).
 */
class LineSplitter {
  private partial: string[] = [];

  /** The lines completed by `chunk`, without their `\n`. */
  push(chunk: string): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', start)) {
      this.partial.push(chunk.slice(start, nl));
      lines.push(this.partial.length === 1 ? this.partial[0]! : this.partial.join(''));
      this.partial = [];
      start = nl + 1;
    }
    if (start < chunk.length) this.partial.push(start === 0 ? chunk : chunk.slice(start));
    return lines;
  }

  /** The last line when it had no `\n` ('' when there is none). */
  end(): string {
    const rest = this.partial.join('');
    this.partial = [];
    return rest;
  }
}

/**
 * Incremental server-sent-events parser: feed it chunks as they arrive, get whole events back.
 * Handles `\r\n` and `\n`, multi-line `data:` fields, comments (`:` lines) and events split across chunks.
 */
export class SseParser {
  private readonly lines = new LineSplitter();
  private event: string | undefined;
  private data: string[] = [];

  push(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    for (let line of this.lines.push(chunk)) {
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data.length > 0 || this.event !== undefined) {
          out.push({ ...(this.event !== undefined ? { event: this.event } : {}), data: this.data.join('\n') });
        }
        this.event = undefined;
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
    }
    return out;
  }
}

/** A line that is not JSON; `before` holds the lines parsed ahead of it in the same push. */
export class NdjsonLineError extends SyntaxError {
  constructor(readonly before: unknown[]) {
    super('A line is not JSON.');
    this.name = 'NdjsonLineError';
  }
}

/**
 * Splits newline-delimited JSON (Ollama's stream) into parsed objects. A bad line throws an
 * NdjsonLineError carrying the objects before it, so they count the same however the text was cut.
 */
export class NdjsonParser {
  private readonly lines = new LineSplitter();

  push(chunk: string): unknown[] {
    const out: unknown[] = [];
    for (const raw of this.lines.push(chunk)) {
      const line = raw.trim();
      if (!line) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        // JSON.parse's message quotes the line (model output): not passed on.
        throw new NdjsonLineError(out);
      }
    }
    return out;
  }

  /** What is left at the end of the stream (a last line without a newline). */
  end(): unknown[] {
    const line = this.lines.end().trim();
    try {
      return line ? [JSON.parse(line)] : [];
    } catch {
      throw new NdjsonLineError([]);
    }
  }
}

/**
 * A stream that turns a provider's event stream into OpenAI SSE text. `onText` gets each decoded
 * chunk and returns the OpenAI `data:` lines to emit (possibly none); throwing ends the stream with
 * that error (the responder then sends an error event to the client). `onEnd` may emit final lines
 * (usage, `[DONE]`) or throw when the provider's stream ended incomplete.
 */
export function translateStream(onText: (text: string) => string, onEnd: () => string): Transform {
  // A character split across two network reads must not turn into U+FFFD.
  const decoder = new StringDecoder('utf8');
  return new Transform({
    transform(chunk: Buffer | string, _enc, cb: TransformCallback) {
      try {
        const out = onText(typeof chunk === 'string' ? chunk : decoder.write(chunk));
        cb(null, out.length > 0 ? out : undefined);
      } catch (err) {
        cb(err as Error);
      }
    },
    flush(cb: TransformCallback) {
      try {
        const rest = decoder.end();
        const out = (rest ? onText(rest) : '') + onEnd();
        cb(null, out.length > 0 ? out : undefined);
      } catch (err) {
        cb(err as Error);
      }
    },
  });
}

/** One OpenAI SSE line. */
export const sseData = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
export const SSE_DONE = 'data: [DONE]\n\n';

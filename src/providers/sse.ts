import { StringDecoder } from 'node:string_decoder';
import { Transform, type TransformCallback } from 'node:stream';

export interface SseEvent {
  event?: string;
  data: string;
}

/**
 * Incremental server-sent-events parser: feed it chunks as they arrive, get whole events back.
 * Handles `\r\n` and `\n`, multi-line `data:` fields, comments (`:` lines) and events split across chunks.
 */
export class SseParser {
  private buffer = '';
  private event: string | undefined;
  private data: string[] = [];

  push(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const nl = this.buffer.indexOf('\n', start);
      if (nl < 0) break;
      let line = this.buffer.slice(start, nl);
      start = nl + 1;
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
    this.buffer = this.buffer.slice(start);
    return out;
  }
}

/** Splits newline-delimited JSON (Ollama's stream) into parsed objects; a bad line throws. */
export class NdjsonParser {
  private buffer = '';

  push(chunk: string): unknown[] {
    this.buffer += chunk;
    const out: unknown[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line) out.push(JSON.parse(line));
    }
    return out;
  }

  /** What is left at the end of the stream (a last line without a newline). */
  end(): unknown[] {
    const line = this.buffer.trim();
    this.buffer = '';
    return line ? [JSON.parse(line)] : [];
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

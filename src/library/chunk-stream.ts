import { StringDecoder } from 'node:string_decoder';
import type { ServedStream } from '../core/served-stream.js';
import { SseParser } from '../providers/sse.js';
import type { AttemptRecord } from '../routing/attempt-loop.js';
import type { StreamOutcome } from '../routing/upstream-stream.js';
import { readUsage, type Usage } from '../telemetry/usage.js';
import { fromErrorBody, type SwitchyardError } from './errors.js';
import type { ChatCompletionChunk } from './types.js';

/** Chunks held before the served stream is paused until the consumer catches up. */
const HIGH_WATER = 64;

/** How the stream ended, for the routing it settles. */
export type ChunkStreamEnd = { ok: true; usage?: Usage } | { ok: false; error: SwitchyardError };

/**
 * A served OpenAI event stream as chat.completion.chunk objects: events parsed as they arrive, held
 * up to a high-water mark (the served stream waits, with backpressure, beyond it). An error event or a
 * cut ends the iteration with a SwitchyardError.
 */
export class ChunkStream implements AsyncIterable<ChatCompletionChunk> {
  private readonly queue: ChatCompletionChunk[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private readonly parser = new SseParser();
  private waiting: (() => void) | undefined;
  private paused = false;
  private done: ChunkStreamEnd | undefined;
  private usage: Usage | undefined;
  private errorEvent: SwitchyardError | undefined;

  constructor(
    private readonly served: ServedStream,
    private readonly onChunk: ((chunk: ChatCompletionChunk) => void) | undefined,
    private readonly onEnd: (end: ChunkStreamEnd) => void,
    private readonly tried: AttemptRecord[],
  ) {
    served.pipe({ write: (bytes) => this.write(bytes), end: (outcome) => this.end(outcome) });
  }

  /** Stops the stream from outside (abort, timeout, or the consumer leaving): the upstream is closed. */
  fail(error: SwitchyardError): void {
    if (this.done) return;
    this.served.cancel();
    this.finish({ ok: false, error });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChatCompletionChunk> {
    try {
      for (;;) {
        const chunk = this.queue.shift();
        if (chunk) {
          if (this.paused && this.queue.length < HIGH_WATER / 2) {
            this.paused = false;
            this.served.resume();
          }
          yield chunk;
          continue;
        }
        if (this.done) {
          if (!this.done.ok) throw this.done.error;
          return;
        }
        await new Promise<void>((resolve) => {
          this.waiting = resolve;
        });
      }
    } finally {
      // The consumer left early (break, or a throw in its loop body): nobody reads the rest.
      if (!this.done) {
        this.served.cancel();
        this.finish({ ok: true, ...(this.usage ? { usage: this.usage } : {}) });
      }
    }
  }

  private write(bytes: Buffer): boolean {
    for (const event of this.parser.push(this.decoder.write(bytes))) this.event(event.data);
    this.wake();
    if (this.queue.length < HIGH_WATER) return true;
    this.paused = true;
    return false;
  }

  private event(data: string): void {
    if (data === '[DONE]' || this.done) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    if (parsed === null || typeof parsed !== 'object') return;
    if ('error' in parsed) {
      this.errorEvent = fromErrorBody(502, data, this.tried);
      return;
    }
    const chunk = parsed as ChatCompletionChunk;
    this.usage = readUsage(chunk) ?? this.usage;
    this.queue.push(chunk);
    this.onChunk?.(chunk);
  }

  private end(outcome: StreamOutcome): void {
    if (outcome.kind === 'complete') {
      const usage = outcome.usage ?? this.usage;
      this.finish({ ok: true, ...(usage ? { usage } : {}) });
      return;
    }
    const error = this.errorEvent ?? fromErrorBody(502, JSON.stringify({ error: { message: `The stream broke: ${outcome.detail}`, type: 'server_error', code: 'upstream_stream_error' } }), this.tried);
    this.finish({ ok: false, error });
  }

  private finish(end: ChunkStreamEnd): void {
    if (this.done) return;
    this.done = end;
    this.onEnd(end);
    this.wake();
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }
}

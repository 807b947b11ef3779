import type { Finish } from '../routing/attempt-loop.js';
import type { Served } from '../routing/upstream-attempt.js';
import type { StreamOutcome, StreamSink } from '../routing/upstream-stream.js';
import type { Usage } from '../telemetry/usage.js';
import type { IdempotentRequest } from './idempotency.js';
import type { StreamSource } from './recovering-stream.js';
import type { AnswerHeaders } from './serve.js';
import { EventNumbering } from './stream-resume.js';

/** How a served stream ended: as the upstream ended it, or because the caller went away. */
export type StreamEnd = StreamOutcome | { kind: 'client_gone' };

export interface ServedStreamHooks {
  /** Settles the breaker of the provider that serves it. */
  finish: Finish;
  /** The Idempotency-Key lock this request holds: the stream's bytes are kept to replay. */
  lock?: IdempotentRequest;
  headers: AnswerHeaders;
  account(usage: Usage | undefined): void;
  onStreamError(detail: string): void;
  /** How long the stream may stay silent before the door sends a keep-alive (0: never). */
  keepAliveMs: number;
  /** Where the events come from, when not straight from the upstream stream (a stream that recovers from a cut). */
  source?: StreamSource;
  /**
   * With `lock`: events are numbered (`id:`) and a caller that goes away does not stop the stream: it
   * is read to its end and stored, so that the caller can resume it (Idempotency-Key and Last-Event-ID).
   */
  resumable?: boolean;
}

/**
 * A stream the core is serving: a front door pipes it to its caller (`pipe`), or cancels it when the
 * caller goes away. However it ends, the core settles it exactly once: the breaker (a cut or an error
 * event counts as a failure, a caller gone as neutral), accounting, and the idempotent copy.
 *
 * @example
 * outcome.stream.pipe({ write: (bytes) => res.write(bytes), end: (how) => res.end() });
 */
export class ServedStream {
  private ended: StreamEnd | undefined;
  private readonly source: StreamSource;
  private readonly numbering: EventNumbering | undefined;
  /** The caller went away from a resumable stream: it is read on, for the store only. */
  private detached = false;

  constructor(
    private readonly served: Extract<Served, { kind: 'stream' }>,
    private readonly hooks: ServedStreamHooks,
  ) {
    this.source = hooks.source ?? served.stream;
    if (hooks.resumable && hooks.lock) this.numbering = new EventNumbering();
  }

  /** Sends the events to `sink` as they come; `sink.end` is called exactly once, unless `cancel` comes first. */
  pipe(sink: StreamSink): void {
    this.source.pipe({
      write: (raw) => {
        const bytes = this.numbering ? this.numbering.number(raw) : raw;
        this.hooks.lock?.tap(bytes);
        return this.detached || sink.write(bytes);
      },
      end: (outcome) => {
        if (this.ended) return;
        this.settle(outcome);
        if (!this.detached) sink.end(outcome);
      },
    });
  }

  /** After backpressure: go on. */
  resume(): void {
    this.source.resume();
  }

  /**
   * The caller went away: close the upstream connection and settle without blaming the provider; a
   * resumable stream is read on to its end and stored instead.
   */
  cancel(): void {
    if (this.ended || this.detached) return;
    if (this.numbering) {
      this.detached = true;
      this.source.resume(); // it may be waiting for a drain that will not come now
      return;
    }
    this.source.destroy();
    this.settle({ kind: 'client_gone' });
  }

  /** How long the stream may stay silent before the door sends its protocol's keep-alive (0: never). */
  get keepAliveMs(): number {
    return this.hooks.keepAliveMs;
  }

  /** How it ended, once it has. */
  get end(): StreamEnd | undefined {
    return this.ended;
  }

  private settle(end: StreamEnd): void {
    this.ended = end;
    const { finish, lock } = this.hooks;
    if (end.kind === 'complete') {
      lock?.store(200, Object.assign({}, this.hooks.headers, { 'content-type': 'text/event-stream; charset=utf-8' }));
      finish('success');
      this.hooks.account(end.usage ?? this.served.streamUsage?.());
      return;
    }
    lock?.abandon();
    if (end.kind === 'upstream_error') {
      finish('failure');
      this.hooks.onStreamError(end.detail);
    } else finish('neutral');
  }
}

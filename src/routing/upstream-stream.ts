import type { Readable } from 'node:stream';
import { readChunks } from '../providers/body-readers.js';
import type { RelayState } from '../providers/sse-framer.js';
import type { ChunkSource } from '../providers/upstream-body.js';
import type { Usage } from '../telemetry/usage.js';

/** Frames and judges a stream's events (OpenAISseRelay for OpenAI's, NamedEventRelay for native protocols). */
export interface StreamRelay {
  readonly state: RelayState;
  readonly events: number;
  readonly failure: string | undefined;
  readonly malformed: boolean;
  readonly usage: Usage | undefined;
  readonly judged: boolean;
  push(chunk: Buffer): Buffer | undefined;
  end(): { complete: boolean; out: Buffer | undefined };
}

/** How a relayed stream ended, as far as the client is concerned. */
export type StreamOutcome =
  | { kind: 'complete'; usage?: Usage }
  /** The upstream broke, or sent an error event (`errorSent`: that event already went to the client). */
  | { kind: 'upstream_error'; detail: string; errorSent: boolean };

/** The first event's verdict: serve the stream, or count the provider as failed before any byte went out. */
export type FirstEvent = { ok: true } | { ok: false; detail: string };

export interface StreamSink {
  /** Bytes for the client; false: stop until `resume` is called (backpressure). */
  write(bytes: Buffer): boolean;
  end(outcome: StreamOutcome): void;
}

/**
 * An upstream's OpenAI event stream, read through the relay from the moment its response arrives.
 * It takes the body's chunks once, here (`readChunks`: straight from the upstream's handler), so no
 * end or error can fall between judging the first event and piping the rest (a body that arrives in
 * one read ends before anyone else could listen).
 */
export class UpstreamStream {
  private held: Buffer[] = [];
  private sink: StreamSink | undefined;
  private settled: StreamOutcome | undefined;
  private judge: ((v: FirstEvent) => void) | undefined;
  private judgeFailed: ((err: Error) => void) | undefined;

  private readonly body: ChunkSource;

  constructor(
    body: Readable,
    readonly relay: StreamRelay,
  ) {
    this.body = readChunks(body, { data: this.onData, end: this.onEnd, error: this.onError });
    this.body.resume();
  }

  /** Resolves once the first event arrived (or the stream failed first); rejects on a transport error first. */
  firstEvent(): Promise<FirstEvent> {
    return new Promise((resolve, reject) => {
      this.judge = resolve;
      this.judgeFailed = reject;
      this.checkJudged();
    });
  }

  /** Sends what is held, then every later event, to `sink`; `sink.end` is called exactly once. */
  pipe(sink: StreamSink): void {
    this.sink = sink;
    const held = this.held;
    this.held = [];
    let flowing = true;
    for (const b of held) flowing = sink.write(b) && flowing;
    if (this.settled) return this.finish(sink, this.settled);
    if (flowing) this.body.resume();
  }

  /** After backpressure: go on reading. */
  resume(): void {
    if (!this.settled) this.body.resume();
  }

  /** Stops reading and closes the upstream connection (the client went away, or nothing is wanted). */
  destroy(): void {
    this.body.destroy();
  }

  private readonly onData = (chunk: Buffer): void => {
    const out = this.relay.push(chunk);
    if (out) this.emit(out);
    if (this.relay.state === 'done') this.settle(this.complete());
    else if (this.relay.state === 'failed') {
      this.settle({ kind: 'upstream_error', detail: this.relay.failure ?? 'error event', errorSent: !this.relay.malformed });
      if (this.sink) this.destroy(); // nothing more is wanted from it: stop paying for it
    }
    this.checkJudged();
  };

  private readonly onEnd = (): void => {
    const { complete, out } = this.relay.end();
    if (out) this.emit(out);
    if (complete) this.settle(this.complete());
    else if (this.relay.state === 'failed') this.settle({ kind: 'upstream_error', detail: this.relay.failure ?? 'error event', errorSent: !this.relay.malformed });
    else this.settle({ kind: 'upstream_error', detail: 'stream ended before it was complete', errorSent: false });
    this.checkJudged();
  };

  private readonly onError = (err: Error & { code?: string }): void => {
    if (this.judge && !this.relay.judged) {
      const reject = this.judgeFailed!;
      this.judge = undefined;
      return reject(err);
    }
    this.settle({ kind: 'upstream_error', detail: err.code ?? err.name, errorSent: false });
  };

  /** A whole answer's outcome, with its usage when the stream reported one. */
  private complete(): StreamOutcome {
    const usage = this.relay.usage;
    return usage ? { kind: 'complete', usage } : { kind: 'complete' };
  }

  private emit(bytes: Buffer): void {
    if (!this.sink) {
      this.held.push(bytes);
      return;
    }
    if (!this.sink.write(bytes)) this.body.pause();
  }

  private settle(outcome: StreamOutcome): void {
    if (this.settled) return;
    this.settled = outcome;
    if (this.sink) this.finish(this.sink, outcome);
  }

  private finish(sink: StreamSink, outcome: StreamOutcome): void {
    this.sink = undefined;
    // A whole answer: read the rest off the socket so it can be reused; a failed one: close it.
    if (outcome.kind === 'complete') this.body.resume();
    else this.destroy();
    sink.end(outcome);
  }

  /** Resolves the first-event promise once the relay can judge (or the stream is over). */
  private checkJudged(): void {
    if (!this.judge) return;
    if (!this.relay.judged && !this.settled) {
      this.body.resume();
      return;
    }
    const resolve = this.judge;
    this.judge = undefined;
    if (!this.sink) this.body.pause();
    if (this.relay.events > 0) return resolve({ ok: true });
    const o = this.settled;
    resolve({ ok: false, detail: this.relay.failure ?? (o && o.kind === 'upstream_error' ? o.detail : 'stream ended before any data') });
  }
}

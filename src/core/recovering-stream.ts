import { SseFramer } from '../providers/sse-framer.js';
import type { Finish } from '../routing/attempt-loop.js';
import { Cancel } from '../routing/cancel.js';
import type { StreamOutcome, StreamSink, UpstreamStream } from '../routing/upstream-stream.js';
import type { Usage } from '../telemetry/usage.js';
import { combinedUsage, DeliveryTracker, eventChunk } from './stream-recovery.js';

/** What a served stream reads from: one upstream stream, or one that recovers from a cut. */
export interface StreamSource {
  pipe(sink: StreamSink): void;
  resume(): void;
  destroy(): void;
}

/** The next candidate's stream, continuing the answer. */
export interface Continuation {
  stream: UpstreamStream;
  finish: Finish;
  provider: string;
  streamUsage?: () => Usage | undefined;
}

/** What recovery needs from the core. */
export interface RecoveryHooks {
  /** The provider whose stream may be cut. */
  from: string;
  /** The prompt tokens of the cut call (estimated), added to the final usage. */
  promptTokens: number;
  /** Starts the continuation on the next candidate (`cancel`: the client went away); undefined when none could. */
  continueFrom(delivered: string, cancel: Cancel): Promise<Continuation | undefined>;
  onRecovered(info: { from: string; to: string; deliveredChars: number }): void;
}

const EMPTY = Buffer.alloc(0);
const DONE = 'data: [DONE]\n\n';

/**
 * A chat stream that survives a cut: events go to the client as they come (tool-call deltas held
 * until their arguments are whole JSON); when the upstream is cut after text went out and no tool-call
 * byte did, the next candidate is asked to continue from the delivered text, and its events follow in
 * the same response. The continuation's usage chunk carries both calls' usage, and a comment event
 * `: x-switchyard-recovered ...` precedes its `[DONE]`. One recovery per stream.
 *
 * @example
 * const source = new RecoveringStream(served.stream, result.finish, hooks);
 * new ServedStream(served, { ...hooks, finish: source.finish, source });
 */
export class RecoveringStream implements StreamSource {
  private current: StreamSource;
  private active: Finish;
  private readonly tracker = new DeliveryTracker();
  private readonly cancel = new Cancel();
  private destroyed = false;

  constructor(
    private readonly first: UpstreamStream,
    private readonly firstFinish: Finish,
    private readonly hooks: RecoveryHooks,
  ) {
    this.current = first;
    this.active = firstFinish;
  }

  /** Settles the attempt serving the stream now (the continuation's, once there is one). */
  readonly finish: Finish = (outcome) => this.active(outcome);

  pipe(sink: StreamSink): void {
    this.first.pipe({
      write: (bytes) =>
        writeAll(
          sink,
          eachEvent(bytes, (event) => this.tracker.take(event)),
        ),
      end: (outcome) => {
        if (outcome.kind === 'complete') {
          writeAll(sink, this.tracker.flush());
          return sink.end(outcome);
        }
        if (outcome.errorSent || this.destroyed || this.tracker.cut() === 'fail') return sink.end(outcome);
        void this.recover(sink, outcome);
      },
    });
  }

  resume(): void {
    this.current.resume();
  }

  destroy(): void {
    this.destroyed = true;
    this.cancel.abort();
    this.current.destroy();
  }

  private async recover(sink: StreamSink, cut: StreamOutcome): Promise<void> {
    const delivered = this.tracker.text;
    const next = await this.hooks.continueFrom(delivered, this.cancel).catch(() => undefined);
    if (this.destroyed) {
      next?.stream.destroy();
      next?.finish('neutral');
      return;
    }
    if (!next) return sink.end(cut);
    this.firstFinish('failure');
    this.active = next.finish;
    this.current = next.stream;
    const comment = `: x-switchyard-recovered from=${this.hooks.from} to=${next.provider} delivered_chars=${delivered.length}\n\n`;
    this.hooks.onRecovered({ from: this.hooks.from, to: next.provider, deliveredChars: delivered.length });
    let commented = false;
    const extra = { promptTokens: this.hooks.promptTokens, completionTokens: Math.ceil(delivered.length / 4) };
    next.stream.pipe({
      write: (bytes) =>
        writeAll(
          sink,
          eachEvent(bytes, (event) => {
            if (!commented && isDone(event)) {
              commented = true;
              return [Buffer.from(comment + DONE)];
            }
            return [withUsage(event, extra)];
          }),
        ),
      end: (outcome) => {
        if (outcome.kind !== 'complete') return sink.end(outcome);
        if (!commented) sink.write(Buffer.from(comment));
        const usage = combinedUsage(outcome.usage ?? next.streamUsage?.(), this.hooks.promptTokens, delivered);
        sink.end({ kind: 'complete', ...(usage ? { usage } : {}) });
      },
    });
  }
}

/** Splits relayed bytes (whole events) into events, hands each to `map`, joins what comes back. */
function eachEvent(bytes: Buffer, map: (event: Buffer) => Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  new SseFramer().push(
    bytes,
    (buf, start, end) => {
      out.push(...map(buf.subarray(start, end)));
      return EMPTY;
    },
    () => true,
  );
  return out;
}

const DONE_DATA = Buffer.from('[DONE]');

function isDone(event: Buffer): boolean {
  return event.length < 40 && event.indexOf(DONE_DATA) >= 0;
}

function writeAll(sink: StreamSink, parts: Buffer[]): boolean {
  if (parts.length === 0) return true;
  return sink.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts));
}

const USAGE = Buffer.from('"usage"');

/** A chunk that reports usage, with the cut call's usage added; any other event as it is. */
function withUsage(event: Buffer, extra: { promptTokens: number; completionTokens: number }): Buffer {
  if (event.indexOf(USAGE) < 0) return event;
  const chunk = eventChunk(event);
  const usage = (chunk as { usage?: Record<string, unknown> } | undefined)?.usage;
  if (!usage || typeof usage !== 'object') return event;
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  const prompt = n(usage.prompt_tokens) + extra.promptTokens;
  const completion = n(usage.completion_tokens) + extra.completionTokens;
  const merged = { ...(chunk as object), usage: { ...usage, prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion } };
  return Buffer.from(`data: ${JSON.stringify(merged)}\n\n`);
}

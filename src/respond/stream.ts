import type { ServerResponse } from 'node:http';
import { gatewayError, openAIErrorJson } from '../core/errors.js';
import type { ServedStream, StreamEnd } from '../core/served-stream.js';
import type { StreamOutcome, StreamSink } from '../routing/upstream-stream.js';
import { BodyWriter } from './body-writer.js';
import { keepAliveTicker, type Ticking } from './keep-alive.js';

/** How a front door writes one protocol's event stream over a served stream. */
export interface StreamRendering {
  /** Written first, right after the headers (a translated protocol's opening events); none by default. */
  start?(): string;
  /** The client's bytes for the upstream's bytes (whole events); the identity by default. */
  translate?(bytes: Buffer): string | Buffer;
  /** The last bytes: the protocol's end, or its one error event when the upstream broke. */
  finish(outcome: StreamOutcome, reason: string): string | Buffer;
  /** What a silent stream is kept alive with; an SSE comment by default (every SSE reader skips it). */
  keepAlive?: string;
}

const COMMENT = ': keep-alive\n\n';

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

/**
 * Streams a served stream to the client as its events arrive, in the door's protocol (with
 * backpressure, never buffered beyond one event). The response ends exactly when the upstream's answer
 * does: with the protocol's end, or with exactly one error event when it broke (`finish` renders both),
 * so the client never mistakes a cut for a clean end. The client going away cancels the stream.
 * `headers` is the caller's own, fresh object: the event-stream headers are set on it (no merged copy
 * per stream), as `sendJson` does.
 *
 * @example
 * pipeServed(res, outcome.stream, headers, { finish: (o) => (o.kind === 'complete' ? '' : errorEvent) }, log);
 */
export function pipeServed(res: ServerResponse, stream: ServedStream, headers: Record<string, string | number>, r: StreamRendering, onEnd: (end: StreamEnd) => void): void {
  res.writeHead(200, Object.assign(headers, SSE_HEADERS));
  flattenHead(res);
  const body = new BodyWriter(res);
  const opening = r.start?.();
  if (opening) body.write(opening);
  stream.pipe(new StreamResponse(res, body, stream, r, onEnd));
}

/**
 * One stream's response, from its first event to its end: what it writes, its keep-alive, and the
 * client going away. One object a stream holds for its life (a class, not a dozen closures).
 */
class StreamResponse implements StreamSink, Ticking {
  private ended = false;
  // A long silence (a model thinking) is bridged with a keep-alive, so no proxy or client times out:
  // one goes out on a tick when nothing did since the previous tick (counted, not timed: no clock read
  // per event). The first tick only notes where the stream is: it may come right after the start.
  private writes = 0;
  private seen = -1;
  private readonly keepAliveMs: number;

  constructor(
    private readonly res: ServerResponse,
    private readonly body: BodyWriter,
    private readonly stream: ServedStream,
    private readonly r: StreamRendering,
    private readonly onEnd: (end: StreamEnd) => void,
  ) {
    this.keepAliveMs = stream.keepAliveMs;
    if (this.keepAliveMs > 0) keepAliveTicker.add(this.keepAliveMs, this);
    res.on('close', this.onClose);
  }

  write(bytes: Buffer): boolean {
    const out = this.r.translate ? this.r.translate(bytes) : bytes;
    if (out.length === 0) return true;
    this.writes += 1;
    if (this.body.write(out)) return true;
    this.body.onDrain(() => this.stream.resume());
    return false;
  }

  end(outcome: StreamOutcome): void {
    this.stopTicking();
    if (this.ended) return;
    this.ended = true;
    const { res } = this;
    res.off('close', this.onClose);
    const tail = this.r.finish(outcome, reasonOf(outcome));
    if (tail.length > 0 && !res.destroyed) res.end(tail);
    else res.end();
    this.onEnd(outcome);
  }

  tick(): void {
    if (this.writes !== this.seen) {
      this.seen = this.writes;
      return;
    }
    if (!this.body.needsDrain) this.body.write(this.r.keepAlive ?? COMMENT);
  }

  private readonly onClose = (): void => {
    this.stopTicking();
    if (this.ended) return;
    this.ended = true;
    this.stream.cancel();
    this.onEnd({ kind: 'client_gone' });
  };

  private stopTicking(): void {
    if (this.keepAliveMs > 0) keepAliveTicker.delete(this.keepAliveMs, this);
  }
}

/**
 * Node builds a response's head by appending each header line to one string: a rope of some four
 * pieces per header, which the response keeps (`_header`) as long as it lives, and a stream's lives as
 * long as the stream (about 1.5 kB of pieces for a dozen headers). Reading a character of a rope makes
 * V8 flatten it in place, into one string of a fifth of that; the pieces are let go. The check of the
 * first character (the head starts with "HTTP/") is what keeps the read from being optimised away.
 */
function flattenHead(res: ServerResponse): boolean {
  const head = (res as ServerResponse & { _header?: unknown })._header;
  return typeof head === 'string' && head.charCodeAt(0) === 0x48;
}

/** Why a stream ended, for the error event a door writes when the upstream broke. */
function reasonOf(outcome: StreamOutcome): string {
  if (outcome.kind === 'complete') return 'The upstream stream ended.';
  return outcome.detail === 'stream ended before it was complete' ? 'The upstream stream ended before it was complete.' : 'The upstream connection failed mid-stream.';
}

/**
 * The OpenAI door's stream: the relayed OpenAI events as they are, ending after `[DONE]` (added when
 * the upstream ended cleanly without it) or with one OpenAI error event.
 *
 * @example
 * pipeStream(res, outcome.stream, headers, requestId, log);
 */
export function pipeStream(res: ServerResponse, stream: ServedStream, headers: Record<string, string | number>, requestId: string, onEnd: (end: StreamEnd) => void): void {
  pipeServed(
    res,
    stream,
    headers,
    {
      finish: (outcome, reason) => (outcome.kind === 'complete' || outcome.errorSent ? '' : `data: ${openAIErrorJson(gatewayError('upstream_stream_error', `${reason} (request ${requestId})`))}\n\n`),
    },
    onEnd,
  );
}

/**
 * A provider's own protocol (a native pass-through) byte for byte; a break the provider did not report
 * itself ends with the one error event `errorEvent` renders in that protocol.
 *
 * @example
 * pipeNative(res, outcome.stream, headers, requestId, (m) => `event: error\ndata: ${JSON.stringify({ type: 'error', message: m })}\n\n`, log);
 */
export function pipeNative(
  res: ServerResponse,
  stream: ServedStream,
  headers: Record<string, string | number>,
  requestId: string,
  errorEvent: (message: string) => string,
  onEnd: (end: StreamEnd) => void,
): void {
  pipeServed(res, stream, headers, { finish: (outcome, reason) => (outcome.kind === 'upstream_error' && !outcome.errorSent ? errorEvent(`${reason} (request ${requestId})`) : '') }, onEnd);
}

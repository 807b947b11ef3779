import type { ServerResponse } from 'node:http';
import { gatewayError, openAIErrorJson } from '../core/errors.js';
import type { ServedStream, StreamEnd } from '../core/served-stream.js';
import type { StreamOutcome } from '../routing/upstream-stream.js';
import { BodyWriter } from './body-writer.js';

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
  const body = new BodyWriter(res);
  const opening = r.start?.();
  if (opening) body.write(opening);
  let ended = false;
  // A long silence (a model thinking) is bridged with a keep-alive, so no proxy or client times out:
  // one goes out on a tick of the interval when nothing did since the last tick (counted, not timed:
  // no clock read per event).
  let writes = 0;
  let seen = 0;
  const keepAlive =
    stream.keepAliveMs > 0
      ? setInterval(() => {
          if (writes !== seen) {
            seen = writes;
            return;
          }
          if (!body.needsDrain) body.write(r.keepAlive ?? COMMENT);
        }, stream.keepAliveMs)
      : undefined;
  keepAlive?.unref();
  const onClose = () => {
    clearInterval(keepAlive);
    if (ended) return;
    ended = true;
    stream.cancel();
    onEnd({ kind: 'client_gone' });
  };
  res.once('close', onClose);
  stream.pipe({
    write(bytes) {
      const out = r.translate ? r.translate(bytes) : bytes;
      if (out.length > 0) writes += 1;
      if (out.length === 0 || body.write(out)) return true;
      body.onDrain(() => stream.resume());
      return false;
    },
    end(outcome) {
      clearInterval(keepAlive);
      if (ended) return;
      ended = true;
      res.off('close', onClose);
      const tail = r.finish(outcome, reasonOf(outcome));
      if (tail.length > 0 && !res.destroyed) res.end(tail);
      else res.end();
      onEnd(outcome);
    },
  });
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

import type { ServerResponse } from 'node:http';
import type { StreamOutcome, UpstreamStream } from '../routing/upstream-stream.js';

export type StreamEnd =
  | Extract<StreamOutcome, { kind: 'complete' }>
  /** The upstream broke after bytes were sent: the client got one error event. */
  | { kind: 'upstream_error'; detail: string }
  /** The client went away first. */
  | { kind: 'client_gone' };

/**
 * Streams a judged upstream stream to the client as its events arrive (with backpressure, never
 * buffered beyond one event). The response ends exactly when the upstream's answer does: after
 * `[DONE]` (added when the upstream ended cleanly without it), or with exactly one error event when
 * it broke or reported an error, so the client never mistakes a cut for a clean end.
 */
export function pipeStream(
  res: ServerResponse,
  upstream: UpstreamStream,
  headers: Record<string, string | number>,
  requestId: string,
  onEnd: (end: StreamEnd) => void,
  /** Sees every byte sent (idempotency keeps a copy to replay). */
  tap?: (chunk: Buffer) => void,
): void {
  res.writeHead(200, {
    ...headers,
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
  });
  let ended = false;
  const onClose = () => {
    if (ended) return;
    ended = true;
    upstream.destroy();
    onEnd({ kind: 'client_gone' });
  };
  res.once('close', onClose);
  upstream.pipe({
    write(bytes) {
      tap?.(bytes);
      if (res.write(bytes)) return true;
      res.once('drain', () => upstream.resume());
      return false;
    },
    end(outcome) {
      if (ended) return;
      ended = true;
      res.off('close', onClose);
      if (outcome.kind === 'complete') {
        res.end();
        onEnd(outcome);
        return;
      }
      if (!outcome.errorSent && !res.destroyed) {
        const event = errorEvent(outcome.detail === 'stream ended before it was complete' ? 'The upstream stream ended before it was complete.' : 'The upstream connection failed mid-stream.', requestId);
        tap?.(event);
        res.end(event);
      } else res.end();
      onEnd({ kind: 'upstream_error', detail: outcome.detail });
    },
  });
}

function errorEvent(message: string, requestId: string): Buffer {
  const body = JSON.stringify({
    error: { message: `${message} (request ${requestId})`, type: 'server_error', param: null, code: 'upstream_stream_error' },
  });
  return Buffer.from(`data: ${body}\n\n`);
}

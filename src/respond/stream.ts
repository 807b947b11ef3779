import type { ServerResponse } from 'node:http';
import { gatewayError, openAIErrorJson } from '../core/errors.js';
import type { ServedStream, StreamEnd } from '../core/served-stream.js';

/**
 * Streams a judged upstream stream to the client as its events arrive (with backpressure, never
 * buffered beyond one event). The response ends exactly when the upstream's answer does: after
 * `[DONE]` (added when the upstream ended cleanly without it), or with exactly one error event when
 * it broke or reported an error, so the client never mistakes a cut for a clean end.
 */
export function pipeStream(res: ServerResponse, stream: ServedStream, headers: Record<string, string | number>, requestId: string, onEnd: (end: StreamEnd) => void): void {
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
    stream.cancel();
    onEnd({ kind: 'client_gone' });
  };
  res.once('close', onClose);
  stream.pipe({
    write(bytes) {
      if (res.write(bytes)) return true;
      res.once('drain', () => stream.resume());
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
        const event = errorEvent(
          outcome.detail === 'stream ended before it was complete' ? 'The upstream stream ended before it was complete.' : 'The upstream connection failed mid-stream.',
          requestId,
        );
        res.end(event);
      } else res.end();
      onEnd(outcome);
    },
  });
}

function errorEvent(message: string, requestId: string): Buffer {
  return Buffer.from(`data: ${openAIErrorJson(gatewayError('upstream_stream_error', `${message} (request ${requestId})`))}\n\n`);
}

import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { usageFromStreamTail, type Usage } from '../telemetry/usage.js';

export type StreamEnd =
  | { kind: 'complete'; usage?: Usage }
  /** The upstream broke after bytes were sent: the client got an error event. */
  | { kind: 'upstream_error'; detail: string }
  /** The client went away first. */
  | { kind: 'client_gone' };

const TAIL_CHUNKS = 3;

/**
 * Pipes an SSE stream to the client chunk by chunk as it arrives (with backpressure, no buffering).
 * Only references to the last few chunks are kept, to find `[DONE]` and the usage chunk at the end.
 * A stream that breaks, or ends without `[DONE]`, is closed with an OpenAI-style error event so the
 * client never mistakes a cut for a clean end.
 */
export function pipeStream(
  res: ServerResponse,
  first: Buffer,
  rest: Readable,
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
  res.write(first);
  tap?.(first);
  const tail: Buffer[] = [first];
  let ended = false;
  const end = (e: StreamEnd) => {
    if (ended) return;
    ended = true;
    rest.off('data', onData);
    onEnd(e);
  };
  const onData = (chunk: Buffer) => {
    tail.push(chunk);
    if (tail.length > TAIL_CHUNKS) tail.shift();
    tap?.(chunk);
    if (!res.write(chunk)) {
      rest.pause();
      res.once('drain', () => rest.resume());
    }
  };
  rest.on('data', onData);
  rest.once('end', () => {
    const text = Buffer.concat(tail).toString('utf8');
    if (/data:\s*\[DONE\]\s*$/.test(text)) {
      res.end();
      const usage = usageFromStreamTail(text);
      end({ kind: 'complete', ...(usage ? { usage } : {}) });
      return;
    }
    res.end(errorEvent('The upstream stream ended before it was complete.', requestId));
    end({ kind: 'upstream_error', detail: 'stream ended without [DONE]' });
  });
  const onError = (err: Error & { code?: string }) => {
    if (ended) return;
    if (!res.destroyed) res.end(errorEvent('The upstream connection failed mid-stream.', requestId));
    end({ kind: 'upstream_error', detail: err.code ?? err.name });
  };
  rest.once('error', onError);
  res.once('close', () => {
    if (ended) return;
    rest.destroy();
    end({ kind: 'client_gone' });
  });
  // It may have failed between its first chunk and now (e.g. a translator's final check).
  if (rest.errored) return onError(rest.errored as Error);
  rest.resume();
}

function errorEvent(message: string, requestId: string): string {
  const body = JSON.stringify({
    error: { message: `${message} (request ${requestId})`, type: 'server_error', param: null, code: 'upstream_stream_error' },
  });
  return `data: ${body}\n\n`;
}

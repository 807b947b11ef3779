import type { Readable } from 'node:stream';
import { addChunk, type ChunkReader, type ChunkSource, type Collector, gathered, UpstreamBody } from './upstream-body.js';

const ignore = (): void => undefined;

/**
 * A body read whole, bytes past `limit` read and dropped: an UpstreamBody nobody has read yet is taken
 * as it came (`collect`), any other Readable through plain listeners (an async iterator costs more than
 * a small body is worth).
 *
 * @example
 * const json = JSON.parse((await readBody(res.body)).toString('utf8'));
 */
export function readBody(body: Readable, limit = Number.POSITIVE_INFINITY): Promise<Buffer> {
  const collected = body instanceof UpstreamBody ? body.collect(limit) : undefined;
  if (collected) return collected;
  return new Promise((resolve, reject) => {
    const c: Collector = { chunks: [], size: 0, limit, resolve, reject };
    body.on('data', (chunk: Buffer) => addChunk(c, chunk));
    body.once('end', () => resolve(gathered(c)));
    body.once('error', reject);
  });
}

/**
 * A body read chunk by chunk: an UpstreamBody nobody has read yet straight from its handler (`tap`),
 * any other Readable through its events. Starts paused: nothing comes before the first `resume`. After
 * the end or an error, later errors of the Readable are ignored (the reader has heard how it ended).
 *
 * @example
 * const source = readChunks(res.body, { data: (c) => relay(c), end: () => done(), error: (e) => failed(e) });
 * source.resume();
 */
export function readChunks(body: Readable, reader: ChunkReader): ChunkSource {
  const tapped = body instanceof UpstreamBody ? body.tap(reader) : undefined;
  if (tapped) return tapped;
  const onData = (chunk: Buffer) => reader.data(chunk);
  body.pause();
  body.on('data', onData);
  body.once('end', () => {
    body.on('error', ignore);
    reader.end();
  });
  body.once('error', (err: Error) => {
    body.on('error', ignore);
    reader.error(err);
  });
  return {
    pause: () => body.pause(),
    resume: () => body.resume(),
    destroy: () => {
      body.off('data', onData);
      body.on('error', ignore);
      body.destroy();
    },
  };
}

/**
 * Calls `fn` once `body` is finished with (read to its end, failed or destroyed), at once when it is
 * already: an UpstreamBody tells without a listener, any other Readable on 'close'.
 *
 * @example
 * onBodyDone(res.body, () => provider.inFlight--);
 */
export function onBodyDone(body: Readable, fn: () => void): void {
  if (body instanceof UpstreamBody) return body.whenDone(fn);
  if (body.destroyed || body.readableEnded) return fn();
  body.once('close', fn);
}

import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

const CRLF = 0x0d0a;

/**
 * Writes a streamed response's body event by event. The first write goes through the
 * ServerResponse, which sends the headers with it; once those are on the socket, every later write
 * goes straight to the socket as one buffer holding the whole HTTP/1.1 chunk (size line, bytes,
 * CRLF). Node's own chunked write corks the socket, queues four writes and uncorks on the next tick
 * into a writev: per event a tick and about 1 KB of bookkeeping objects that this skips. Where the
 * response cannot be written past (not chunked, as for an HTTP/1.0 caller; no socket yet, as for a
 * pipelined request waiting its turn; bytes still held by the response), every write goes through
 * the response as before. The response is ended through the response (`res.end`), which adds the
 * last chunk after whatever was written here, in order: both go through the one socket.
 *
 * @example
 * const body = new BodyWriter(res);
 * res.writeHead(200, headers);
 * if (!body.write(eventBytes)) body.onDrain(() => source.resume());
 * res.end();
 */
export class BodyWriter {
  /** Set once writes may go straight to the socket. */
  private socket: Socket | undefined;

  constructor(private readonly res: ServerResponse) {}

  /** Writes `data` as the body's next bytes; false: wait for `onDrain` before writing more. */
  write(data: Buffer | string): boolean {
    const socket = this.socket;
    // A chunk of size 0 would end the body: nothing is written for no bytes.
    if (socket) return data.length === 0 || socket.write(chunkOf(data));
    const ok = this.res.write(data);
    this.socket = directSocket(this.res);
    return ok;
  }

  /** Whether writes are waiting for the caller to read (a keep-alive is not added to them). */
  get needsDrain(): boolean {
    return this.socket ? this.socket.writableNeedDrain : this.res.writableNeedDrain;
  }

  /** Calls `fn` once the bytes written so far have gone out. */
  onDrain(fn: () => void): void {
    if (this.socket) this.socket.once('drain', fn);
    else this.res.once('drain', fn);
  }
}

/** The response's socket when writes may go to it directly: chunked, its own socket, nothing held back. */
function directSocket(res: ServerResponse): Socket | undefined {
  const socket = res.socket;
  if (!socket || socket.destroyed || !res.chunkedEncoding) return undefined;
  // Bytes the response still holds itself (its socket came late) would go out after ours.
  return res.writableLength === socket.writableLength ? socket : undefined;
}

/** `data` framed as one HTTP/1.1 chunk, in one buffer. */
function chunkOf(data: Buffer | string): Buffer {
  const length = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
  const size = length.toString(16);
  const out = Buffer.allocUnsafe(size.length + length + 4);
  let at = out.write(size, 0, 'latin1');
  out.writeUInt16BE(CRLF, at);
  at += 2;
  at += typeof data === 'string' ? out.write(data, at, 'utf8') : data.copy(out, at);
  out.writeUInt16BE(CRLF, at);
  return out;
}

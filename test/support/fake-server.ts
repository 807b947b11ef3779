/**
 * The plumbing the fake provider servers share: an HTTP server on a free loopback port whose sockets
 * are tracked (so `close()` ends keep-alive connections at once), request bodies read and parsed as
 * JSON, the recorded requests, and a queue of faults in front of a default one. Each fake supplies
 * only its wire format, in `handle`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What a fake records of every request it receives. */
export interface ReceivedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  /** The body parsed as JSON; `{}` when it is empty or not JSON. */
  body: Record<string, unknown>;
}

/**
 * The base of every fake. Its port and the default fault are only protected: `FakeServer` makes them
 * public for the fakes that offer them.
 */
export abstract class FakeServerBase<Fault, Received extends ReceivedRequest = ReceivedRequest> {
  readonly requests: Received[] = [];
  /** Paths of requests whose connection the client closed before the answer was complete. */
  readonly abandoned: string[] = [];
  private abandonWaiters: Array<() => boolean> = [];
  private readonly server: Server = createServer({ keepAliveTimeout: 60_000 });
  private readonly sockets = new Set<Socket>();
  private queue: Fault[] = [];
  private fallback: Fault;

  /** `initialFault` is the default until `setDefault`, and again after `reset`. */
  protected constructor(
    readonly name: string,
    private readonly initialFault: Fault,
  ) {
    this.fallback = initialFault;
    this.server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => this.receive(req, res));
  }

  /** Listens on 127.0.0.1 (port 0: a free one) and resolves to this fake once it does. */
  protected async listen(port = 0): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return this;
  }

  /** The port it listens on. */
  protected get boundPort(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>`, with no path. */
  protected get origin(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  /** Faults for the next requests, in order; then the default applies again. */
  enqueue(...faults: Fault[]): this {
    this.queue.push(...faults);
    return this;
  }

  /** The behaviour for every request that finds the queue empty. */
  protected setFallback(fault: Fault): this {
    this.fallback = fault;
    return this;
  }

  /** Empties the queue and the recorded requests and restores the initial default. */
  reset(): this {
    this.queue = [];
    this.fallback = this.initialFault;
    this.requests.length = 0;
    this.abandoned.length = 0;
    return this;
  }

  /** Destroys open connections (keep-alive ones included) and stops listening. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The fault for the request at hand: the next queued one, else the default. */
  protected nextFault(): Fault {
    return this.queue.shift() ?? this.fallback;
  }

  /** A request whose whole body has arrived: record it (in `requests`) and answer it. */
  protected abstract handle(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>): void;

  /** Resolves once `n` requests (since the last reset) were abandoned by the client mid-answer. */
  whenAbandoned(n = 1): Promise<void> {
    if (this.abandoned.length >= n) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (this.abandoned.length < n) return false;
        resolve();
        return true;
      };
      this.abandonWaiters.push(check);
    });
  }

  private receive(req: IncomingMessage, res: ServerResponse): void {
    res.once('close', () => {
      if (res.writableFinished) return;
      this.abandoned.push(req.url ?? '/');
      this.abandonWaiters = this.abandonWaiters.filter((waiter) => !waiter());
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => this.handle(req, res, req.url ?? '/', parseJsonObject(Buffer.concat(chunks))));
  }
}

/** A fake with a public `port` and a default fault that `setDefault` changes. */
export abstract class FakeServer<Fault, Received extends ReceivedRequest = ReceivedRequest> extends FakeServerBase<Fault, Received> {
  get port(): number {
    return this.boundPort;
  }

  /** The behaviour for every request that finds the queue empty. */
  setDefault(fault: Fault): this {
    return this.setFallback(fault);
  }
}

function parseJsonObject(bytes: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** A JSON answer with its length; `contentType` wins over one in `headers`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** An error answer as the fakes' `status` faults give it: these headers plus `retry-after` when set. */
export function sendStatus(res: ServerResponse, status: number, headers: Record<string, string>, retryAfter: string | undefined, body: string): void {
  res.writeHead(status, retryAfter === undefined ? headers : { ...headers, 'retry-after': retryAfter });
  res.end(body);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Answers the faults the fakes share, when `fault` is one: `hang` never answers, `reset` drops the
 * connection before any response byte, `malformed` is a 200 JSON answer of `malformedBody`, which is
 * not JSON. Returns whether it was one of them.
 */
export function answerCommonFault(fault: { kind: string }, req: IncomingMessage, res: ServerResponse, malformedBody = ''): boolean {
  switch (fault.kind) {
    case 'hang':
      return true;
    case 'reset':
      req.socket.destroy();
      return true;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(malformedBody);
      return true;
    default:
      return false;
  }
}

/** Where a stream fault stops a stream: before chunk `at`. */
export type StreamStop =
  /** Drop the connection; first pause 30 ms (by default only when chunks were written) so that they reach the peer. */
  | { at: number; reset: true; pause?: boolean }
  /** End the response, with `last` as its final chunk when given; first pause 30 ms with `pause`. */
  | { at: number; reset?: false; last?: string; pause?: boolean };

/**
 * Writes a stream's chunks (its headers already set), `chunkDelayMs` apart, then ends the response;
 * unless `stop` cuts it short, or the response is destroyed first. `write` replaces `res.write`.
 */
export async function writeStream(
  req: IncomingMessage,
  res: ServerResponse,
  chunks: readonly string[],
  stop: StreamStop | undefined,
  options: { chunkDelayMs?: number | undefined; write?: ((chunk: string) => Promise<void>) | undefined } = {},
): Promise<void> {
  for (const [i, chunk] of chunks.entries()) {
    if (stop && i === stop.at) {
      if (stop.pause ?? (stop.reset === true && i > 0)) await sleep(30);
      if (stop.reset) req.socket.destroy();
      else if (stop.last === undefined) res.end();
      else res.end(stop.last);
      return;
    }
    if (res.destroyed) return;
    if (options.write) await options.write(chunk);
    else res.write(chunk);
    if (options.chunkDelayMs && i < chunks.length - 1) await sleep(options.chunkDelayMs);
  }
  res.end();
}

/**
 * How a fake writes a streamed body: all of it in one write (together with the end, unless the connection
 * is to drop), one byte per write, or cut at these byte offsets (given, or picked from the body: inside a
 * UTF-8 character, inside `data:`, ...). The fakes of the other providers use it too.
 */
export type Chunking = 'whole' | 'bytes' | readonly number[] | ((body: Buffer) => readonly number[]);

/**
 * Writes a stream's chunks joined into one body and cut as `chunking` says, each piece only once the one
 * before has been flushed (so they really go out apart), then ends the response. With `stop`, only the
 * chunks before `stop.at` (and `stop.last`) are written, then the connection drops or the response ends.
 */
export async function writeChunked(req: IncomingMessage, res: ServerResponse, chunks: readonly string[], stop: StreamStop | undefined, chunking: Chunking): Promise<void> {
  const kept = Buffer.from(stop ? chunks.slice(0, stop.at).join('') + (stop.reset !== true && stop.last !== undefined ? stop.last : '') : chunks.join(''));
  // The whole body and the end in one write: the reader may well get the data and the end in one read.
  if (chunking === 'whole' && !stop?.reset) return void res.end(kept);
  for (const piece of pieces(kept, chunking)) {
    if (res.destroyed) return;
    await new Promise<void>((resolve) => res.write(piece, () => resolve()));
  }
  if (stop?.reset) req.socket.destroy();
  else res.end();
}

function pieces(bytes: Buffer, chunking: Chunking): Buffer[] {
  if (chunking === 'whole') return [bytes];
  if (chunking === 'bytes') return Array.from(bytes, (b) => Buffer.from([b]));
  const cuts = [...new Set(typeof chunking === 'function' ? chunking(bytes) : chunking)].filter((at) => at > 0 && at < bytes.length).sort((a, b) => a - b);
  return [0, ...cuts].map((from, i) => bytes.subarray(from, cuts[i] ?? bytes.length));
}

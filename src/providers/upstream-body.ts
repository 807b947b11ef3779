import { Readable } from 'node:stream';

const NOTHING = (): void => undefined;

/** A whole-body read in progress (`collect`): chunks kept up to `limit` bytes, all of them counted. */
interface Collector {
  chunks: Buffer[];
  size: number;
  limit: number;
  resolve(body: Buffer): void;
  reject(err: Error): void;
}

/**
 * An upstream answer's body as a Node Readable, fed by undici's dispatch handler: `deliver` hands on
 * each chunk and says whether to keep reading (false pauses the connection's parser until the reader
 * wants more: backpressure end to end); destroying it before the end aborts the request and closes its
 * connection, as destroying an IncomingMessage does. Chunks that come before anyone reads wait here,
 * outside the stream, so a caller that wants the whole body (`collect`) gets it without the stream's
 * buffering, events and ticks: a JSON answer, the common case, never goes through the Readable at all.
 *
 * @example
 * const body = new UpstreamBody(resume, abort);
 * handler.onData = (chunk) => body.deliver(chunk);
 * handler.onComplete = () => body.finish();
 * const json = await body.collect(Infinity);   // or read it as any Readable
 */
export class UpstreamBody extends Readable {
  /** The upstream has said all it will (complete, failed or aborted). */
  private done = false;
  /** `finish` came: the stream ends once what waits in `early` is read. */
  private complete = false;
  /** Someone reads it as a stream: chunks go straight into it. */
  private reading = false;
  private early: Buffer[] = [];
  private earlySize = 0;
  private collector: Collector | undefined;

  constructor(
    private readonly resumeUpstream: () => void,
    private readonly abortUpstream: (err: Error) => void,
    /** Called when it is destroyed (the request's own clean-up, without a 'close' listener per request). */
    private readonly onDestroy: () => void = NOTHING,
  ) {
    super();
  }

  /** A body already complete: `bytes`, and nothing upstream to resume or abort. */
  static whole(bytes: Buffer): UpstreamBody {
    const body = new UpstreamBody(NOTHING, NOTHING);
    body.deliver(bytes);
    body.finish();
    return body;
  }

  /** A chunk of the answer; false: stop reading the upstream until the reader wants more. */
  deliver(chunk: Buffer): boolean {
    const c = this.collector;
    if (c !== undefined) {
      if (c.size < c.limit) c.chunks.push(chunk);
      c.size += chunk.length;
      return true;
    }
    if (this.reading) return this.push(chunk);
    this.early.push(chunk);
    this.earlySize += chunk.length;
    return this.earlySize < this.readableHighWaterMark;
  }

  /**
   * The whole body (bytes past `limit` are read and dropped), or undefined when it is already being read
   * as a stream (read it that way then).
   */
  collect(limit: number): Promise<Buffer> | undefined {
    if (this.reading || this.destroyed || this.collector) return undefined;
    const chunks = this.early;
    this.early = [];
    const c: Collector = { chunks: [], size: 0, limit, resolve: () => undefined, reject: () => undefined };
    for (const chunk of chunks) {
      if (c.size < limit) c.chunks.push(chunk);
      c.size += chunk.length;
    }
    if (this.complete) return Promise.resolve(whole(c));
    const p = new Promise<Buffer>((resolve, reject) => {
      c.resolve = resolve;
      c.reject = reject;
    });
    this.collector = c;
    this.resumeUpstream();
    return p;
  }

  override _read(): void {
    this.reading = true;
    if (this.early.length > 0) {
      const chunks = this.early;
      this.early = [];
      this.earlySize = 0;
      for (const chunk of chunks) this.push(chunk);
    }
    if (this.complete) this.push(null);
    else this.resumeUpstream();
  }

  /** The upstream's answer is complete. */
  finish(): void {
    this.done = true;
    this.complete = true;
    const c = this.collector;
    if (c !== undefined) {
      this.collector = undefined;
      c.resolve(whole(c));
    } else if (this.reading) this.push(null);
  }

  /** The upstream failed mid-body: readers get `err`. */
  fail(err: Error): void {
    this.done = true;
    const c = this.collector;
    if (c === undefined) {
      this.destroy(err);
      return;
    }
    this.collector = undefined;
    c.reject(err);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.done) {
      this.done = true;
      this.abortUpstream(err ?? Object.assign(new Error('aborted'), { code: 'ABORTED' }));
    }
    this.onDestroy();
    callback(err);
  }
}

function whole(c: Collector): Buffer {
  const all = c.chunks.length === 1 ? c.chunks[0]! : Buffer.concat(c.chunks);
  return c.size > c.limit ? all.subarray(0, c.limit) : all;
}

/**
 * Response headers from undici's raw list (`[name, value, ...]` as bytes), merged as Node's
 * IncomingMessage merges them, so every reader sees what it saw before: names lower-cased,
 * `set-cookie` an array, the fields Node keeps once (content-type, retry-after, ...) their first value,
 * any other repeated field joined with ", ".
 */
export function headersFromRaw(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1').toLowerCase();
    const value = raw[i + 1]!.toString('latin1');
    const seen = out[name];
    if (seen === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(seen)) seen.push(value);
    else if (!FIRST_WINS.has(name)) out[name] = `${seen}, ${value}`;
  }
  return out;
}

/** The fields Node's IncomingMessage keeps the first of when they repeat. */
const FIRST_WINS = new Set([
  'age',
  'authorization',
  'content-length',
  'content-type',
  'etag',
  'expires',
  'from',
  'host',
  'if-modified-since',
  'if-unmodified-since',
  'last-modified',
  'location',
  'max-forwards',
  'proxy-authorization',
  'referer',
  'retry-after',
  'server',
  'user-agent',
]);

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
    body.on('data', (chunk: Buffer) => {
      if (c.size < limit) c.chunks.push(chunk);
      c.size += chunk.length;
    });
    body.once('end', () => resolve(whole(c)));
    body.once('error', reject);
  });
}

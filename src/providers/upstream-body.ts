import { Readable } from 'node:stream';

const NOTHING = (): void => undefined;

/** A whole-body read in progress (`collect`): chunks kept up to `limit` bytes, all of them counted. */
export interface Collector {
  chunks: Buffer[];
  size: number;
  limit: number;
  resolve(body: Buffer): void;
  reject(err: Error): void;
}

/** Takes a body chunk by chunk (see `UpstreamBody.tap`); exactly one of `end` and `error` comes last. */
export interface ChunkReader {
  data(chunk: Buffer): void;
  end(): void;
  error(err: Error): void;
}

/** The flow controls of a body read chunk by chunk. */
export interface ChunkSource {
  /** No more chunks until `resume` (the upstream's parser stops after the one in hand). */
  pause(): void;
  resume(): void;
  /** Stops reading; the upstream request is aborted unless its answer was complete. */
  destroy(): void;
}

/** How the body is being read: not yet, whole (`collect`), chunk by chunk (`tap`), or as a Readable. */
type Mode = 'unread' | 'collect' | 'tap' | 'stream';

/**
 * An upstream answer's body, fed by undici's dispatch handler: `deliver` hands on each chunk and says
 * whether to keep reading (false pauses the connection's parser until the reader wants more:
 * backpressure end to end); destroying it before the end aborts the request and closes its connection,
 * as destroying an IncomingMessage does. It is a Node Readable for any reader, but the gateway's own
 * readers skip the stream machinery (its buffering, events and ticks on every chunk): chunks that come
 * before anyone reads wait here, a JSON answer is taken whole (`collect`), and a relayed event stream
 * chunk by chunk straight from the handler (`tap`). `whenDone` learns when the body is finished with,
 * however it was read.
 *
 * @example
 * const body = new UpstreamBody(resume, abort);
 * handler.onData = (chunk) => body.deliver(chunk);
 * handler.onComplete = () => body.finish();
 * const json = await body.collect(Infinity);   // or body.tap(reader), or read it as any Readable
 */
export class UpstreamBody extends Readable {
  private mode: Mode = 'unread';
  /** The upstream has said all it will (complete, failed or aborted). */
  private done = false;
  /** `finish` came: the body ends once what waits in `early` is taken. */
  private complete = false;
  /** Chunks not yet taken (before anyone read, or while a tap is paused). */
  private early: Buffer[] = [];
  private earlySize = 0;
  /** `deliver` said false: the upstream's parser waits for `resumeUpstream`. */
  private upstreamPaused = false;
  private collector: Collector | undefined;
  private reader: ChunkReader | undefined;
  private tapPaused = false;
  /** The upstream failed before anyone read: kept for the reader (an 'error' nobody listens to would crash). */
  private failure: Error | undefined;
  private released = false;
  private onDone: (() => void) | undefined;

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
    switch (this.mode) {
      case 'collect':
        addChunk(this.collector!, chunk);
        return true;
      case 'tap':
        if (this.tapPaused || this.early.length > 0) {
          this.early.push(chunk);
          return this.pauseUpstream();
        }
        this.reader?.data(chunk);
        return this.tapPaused ? this.pauseUpstream() : true;
      case 'stream':
        return this.push(chunk) || this.pauseUpstream();
      case 'unread':
        this.early.push(chunk);
        this.earlySize += chunk.length;
        return this.earlySize < this.readableHighWaterMark || this.pauseUpstream();
    }
  }

  /** The upstream's answer is complete. */
  finish(): void {
    this.done = true;
    this.complete = true;
    if (this.mode === 'collect') {
      const c = this.collector!;
      this.collector = undefined;
      this.release();
      c.resolve(gathered(c));
    } else if (this.mode === 'tap') this.drain();
    else if (this.mode === 'stream') this.push(null);
  }

  /** The upstream failed mid-body: the reader gets `err`. */
  fail(err: Error): void {
    this.done = true;
    if (this.mode === 'collect') {
      const c = this.collector!;
      this.collector = undefined;
      this.release();
      c.reject(err);
    } else if (this.mode === 'tap') {
      this.early = [];
      this.tellError(err);
    } else if (this.mode === 'unread' && this.listenerCount('error') === 0) {
      // Headers and a broken body can come in one packet, before the caller has had a chance to read.
      this.early = [];
      this.failure = err;
      this.release();
    } else this.destroy(err);
  }

  /**
   * The whole body (bytes past `limit` are read and dropped), or undefined when someone else reads it
   * (read it their way then).
   */
  collect(limit: number): Promise<Buffer> | undefined {
    if (this.mode !== 'unread' || this.destroyed) return undefined;
    if (this.failure) {
      this.mode = 'collect';
      return Promise.reject(this.failure);
    }
    const c: Collector = { chunks: [], size: 0, limit, resolve: NOTHING, reject: NOTHING };
    for (const chunk of this.takeEarly()) addChunk(c, chunk);
    if (this.complete) {
      this.mode = 'collect';
      this.release();
      return Promise.resolve(gathered(c));
    }
    const p = new Promise<Buffer>((resolve, reject) => {
      c.resolve = resolve;
      c.reject = reject;
    });
    this.collector = c;
    this.mode = 'collect';
    this.wakeUpstream();
    return p;
  }

  /**
   * Hands every chunk to `reader` as it comes, from the next `resume` on (what came before first), or
   * undefined when someone else reads the body. Starts paused.
   */
  tap(reader: ChunkReader): ChunkSource | undefined {
    if (this.mode !== 'unread' || this.destroyed) return undefined;
    this.mode = 'tap';
    this.reader = reader;
    this.tapPaused = true;
    if (this.failure) this.tellError(this.failure);
    return {
      pause: () => {
        this.tapPaused = true;
      },
      resume: () => {
        if (!this.tapPaused) return;
        this.tapPaused = false;
        this.drain();
      },
      destroy: () => {
        this.reader = undefined;
        this.destroy();
      },
    };
  }

  /** Calls `fn` once the body is finished with: read to its end, failed, or destroyed. */
  whenDone(fn: () => void): void {
    if (this.released) return fn();
    const before = this.onDone;
    this.onDone = before
      ? () => {
          before();
          fn();
        }
      : fn;
  }

  override _read(): void {
    if (this.mode === 'unread') this.mode = 'stream';
    if (this.mode !== 'stream') return;
    if (this.failure) {
      this.destroy(this.failure);
      return;
    }
    for (const chunk of this.takeEarly()) this.push(chunk);
    if (this.complete) this.push(null);
    else this.wakeUpstream(true);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.reader = undefined;
    if (!this.done) {
      this.done = true;
      this.abortUpstream(err ?? Object.assign(new Error('aborted'), { code: 'ABORTED' }));
    }
    this.onDestroy();
    this.release();
    callback(err);
  }

  /** A tap's waiting chunks to its reader while it is not paused; then its end, or more from upstream. */
  private drain(): void {
    while (!this.tapPaused && this.reader && this.early.length > 0) this.reader.data(this.early.shift()!);
    if (this.tapPaused || !this.reader) return;
    if (this.complete) {
      const r = this.reader;
      this.reader = undefined;
      this.release();
      r.end();
    } else this.wakeUpstream();
  }

  /**
   * The reader hears `err` on the next tick, as a Readable's reader would: a client leaving aborts the
   * upstream and destroys the tap in one go, and then the reader hears nothing (cancelled, not broken).
   */
  private tellError(err: Error): void {
    process.nextTick(() => {
      const r = this.reader;
      if (!r) return;
      this.reader = undefined;
      this.release();
      r.error(err);
    });
  }

  private takeEarly(): Buffer[] {
    const chunks = this.early;
    this.early = [];
    this.earlySize = 0;
    return chunks;
  }

  private pauseUpstream(): false {
    this.upstreamPaused = true;
    return false;
  }

  /** Resumes the upstream's parser if `deliver` paused it (`always`: a Readable asking for more). */
  private wakeUpstream(always = false): void {
    if (!always && !this.upstreamPaused) return;
    this.upstreamPaused = false;
    this.resumeUpstream();
  }

  private release(): void {
    if (this.released) return;
    this.released = true;
    this.onDone?.();
  }
}

/** Takes one more chunk into a whole-body read: kept while under the limit, counted either way. */
export function addChunk(c: Collector, chunk: Buffer): void {
  if (c.size < c.limit) c.chunks.push(chunk);
  c.size += chunk.length;
}

/** The body a whole-body read gathered, cut at its limit. */
export function gathered(c: Collector): Buffer {
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

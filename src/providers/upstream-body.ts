import { Readable } from 'node:stream';

/**
 * An upstream answer's body as a Node Readable, fed by undici's dispatch handler: `push` hands on each
 * chunk and says whether to keep reading (false pauses the connection's parser until the reader wants
 * more: backpressure end to end); destroying it before the end aborts the request and closes its
 * connection, as destroying an IncomingMessage does.
 *
 * @example
 * const body = new UpstreamBody(resume, abort);
 * handler.onData = (chunk) => body.push(chunk);
 * handler.onComplete = () => body.finish();
 */
export class UpstreamBody extends Readable {
  private done = false;

  constructor(
    private readonly resumeUpstream: () => void,
    private readonly abortUpstream: (err: Error) => void,
  ) {
    super();
  }

  override _read(): void {
    this.resumeUpstream();
  }

  /** The upstream's answer is complete. */
  finish(): void {
    this.done = true;
    this.push(null);
  }

  /** The upstream failed mid-body: readers get `err`. */
  fail(err: Error): void {
    this.done = true;
    this.destroy(err);
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (!this.done) {
      this.done = true;
      this.abortUpstream(err ?? Object.assign(new Error('aborted'), { code: 'ABORTED' }));
    }
    callback(err);
  }
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

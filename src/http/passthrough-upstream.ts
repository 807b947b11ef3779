/**
 * One upstream exchange of the pass-through front door, on Node's own HTTP client: the client's headers
 * cleaned of hop-by-hop ones and its credentials, the body piped in (or sent from memory when small),
 * the answer's headers at hand and its body left for the caller to stream. Nothing here is buffered
 * whole except what the caller asks `readUpTo` for.
 */
import { type ClientRequest, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { type Readable, Transform } from 'node:stream';
import { brotliDecompressSync, gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { IDLE_TIMEOUT, type UpstreamAgents } from '../providers/http-client.js';
import type { Cancel } from '../routing/cancel.js';

/** The error code an upstream request is destroyed with when a streamed body passes the size limit. */
export const BODY_TOO_LARGE = 'PASSTHROUGH_BODY_TOO_LARGE';

// Per-connection headers (RFC 9110 7.6.1), and what must not travel from the client to the provider.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
// Credentials of the caller (the gateway's client key or the caller's vendor key) never go upstream as sent.
const NOT_FORWARDED = new Set(['host', 'authorization', 'x-api-key', 'expect', 'x-request-id', 'api-key', 'content-length']);

/** The headers named in `Connection:` are hop-by-hop too. */
function connectionTokens(h: IncomingHttpHeaders): Set<string> {
  const v = h.connection;
  return new Set(v ? v.split(',').map((t) => t.trim().toLowerCase()) : []);
}

/**
 * The client's headers as the provider gets them: hop-by-hop ones, the client's credentials, `Host` and
 * the gateway's own `x-switchyard-*` removed; the provider's key and the request id set. `OpenAI-*`
 * headers (organization, project, beta) and everything else pass as they came.
 *
 * @example
 * upstreamHeaders(req.headers, 'sk-provider', 'req_1', 12);
 * // { 'content-type': 'multipart/form-data; ...', authorization: 'Bearer sk-provider', 'x-request-id': 'req_1', 'content-length': 12 }
 */
export function upstreamHeaders(client: IncomingHttpHeaders, apiKey: string | undefined, requestId: string, contentLength: number | undefined): OutgoingHttpHeaders {
  const listed = connectionTokens(client);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(client)) {
    if (value === undefined || HOP_BY_HOP.has(name) || NOT_FORWARDED.has(name) || listed.has(name) || name.startsWith('x-switchyard-')) continue;
    out[name] = value;
  }
  if (apiKey) out.authorization = `Bearer ${apiKey}`;
  out['x-request-id'] = requestId;
  // Unset for a streamed body of unknown length: Node then sends it chunked.
  if (contentLength !== undefined) out['content-length'] = contentLength;
  return out;
}

/**
 * The provider's answer headers as the client gets them: hop-by-hop ones removed, and its own request
 * id kept as `x-upstream-request-id` (`x-request-id` is the gateway's).
 *
 * @example
 * clientHeaders({ 'content-type': 'application/json', connection: 'close', 'x-request-id': 'req_up' });
 * // { 'content-type': 'application/json', 'x-upstream-request-id': 'req_up' }
 */
export function clientHeaders(upstream: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(upstream);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name === 'x-request-id' ? 'x-upstream-request-id' : name] = value;
  }
  return out;
}

export interface ExchangeOptions {
  agents: UpstreamAgents;
  /** The provider's base URL; `path` is already joined to its path. */
  url: URL;
  path: string;
  method: string;
  headers: OutgoingHttpHeaders;
  /** None, a small body held in memory (can be sent again), or the client's request, piped once. */
  body: Buffer | Readable | undefined;
  /** A streamed body longer than this aborts the request with `BODY_TOO_LARGE`. */
  maxBodyBytes: number;
  /** Longest silence allowed on the socket. */
  idleTimeoutMs: number;
  cancel: Cancel;
}

export type Exchanged =
  | { ok: true; req: ClientRequest; res: IncomingMessage }
  /** `consumed`: bytes of a streamed body were taken from the client, so it cannot be sent again. */
  | { ok: false; error: unknown; consumed: boolean };

const codeError = (message: string, code: string) => Object.assign(new Error(message), { code });

/**
 * Sends one request and resolves at the answer's headers (its body is the caller's to read), or with
 * the transport error. A streamed body starts flowing only once the connection is up, so a provider
 * that cannot be reached has taken nothing from the client and another may be tried.
 *
 * @example
 * const ex = await exchange({ agents, url, path: '/v1/files', method: 'POST', headers, body: req, maxBodyBytes, idleTimeoutMs: 30_000, cancel });
 * if (ex.ok) ex.res.pipe(res);
 */
export function exchange(o: ExchangeOptions): Promise<Exchanged> {
  return new Promise((resolve) => {
    let consumed = false;
    if (o.cancel.aborted) return resolve({ ok: false, error: o.cancel.reason ?? codeError('aborted', 'ABORTED'), consumed });
    const https = o.url.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)({
      host: o.url.hostname,
      port: o.url.port || (https ? 443 : 80),
      method: o.method,
      path: o.path,
      headers: o.headers,
      agent: https ? o.agents.https : o.agents.http,
      timeout: o.idleTimeoutMs,
    });
    const onCancel = () => req.destroy(codeError('aborted', 'ABORTED'));
    o.cancel.onAbort(onCancel);
    req.once('timeout', () => req.destroy(codeError('upstream idle timeout', IDLE_TIMEOUT)));
    req.once('error', (error) => {
      o.cancel.offAbort(onCancel);
      resolve({ ok: false, error, consumed });
    });
    req.once('response', (res: IncomingMessage) => {
      res.once('close', () => o.cancel.offAbort(onCancel));
      // Errors after the headers reach whoever reads the body.
      req.on('error', (err) => res.destroy(err));
      resolve({ ok: true, req, res });
    });
    const body = o.body;
    if (body === undefined || Buffer.isBuffer(body)) return void req.end(body);
    req.once('socket', (socket: Socket) => {
      const start = () => {
        consumed = true;
        pipeLimited(body, req, o.maxBodyBytes);
      };
      if (socket.connecting) socket.once('connect', start);
      else start();
    });
  });
}

/** Pipes `body` into `req` with backpressure, destroying `req` once more than `max` bytes went by. */
function pipeLimited(body: Readable, req: ClientRequest, max: number): void {
  let seen = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > max) done(codeError('request body too large', BODY_TOO_LARGE));
      else done(null, chunk);
    },
  });
  counter.once('error', (err) => req.destroy(err));
  body.once('error', (err) => req.destroy(err));
  body.pipe(counter).pipe(req);
}

export interface Peeked {
  chunks: Buffer[];
  bytes: number;
  /** The whole body is in `chunks`. */
  ended: boolean;
  error?: unknown;
}

/**
 * Reads `stream` until it ends, fails, or `limit` bytes have arrived; then leaves it paused, so the
 * rest can still be piped after what was read.
 *
 * @example
 * const peek = await readUpTo(res, 64 * 1024);
 * if (peek.ended) remember(Buffer.concat(peek.chunks));
 */
export function readUpTo(stream: Readable, limit: number): Promise<Peeked> {
  return new Promise((resolve) => {
    const peek: Peeked = { chunks: [], bytes: 0, ended: false };
    const finish = (extra: Partial<Peeked>) => {
      stream.pause();
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      resolve(Object.assign(peek, extra));
    };
    const onData = (chunk: Buffer) => {
      peek.chunks.push(chunk);
      peek.bytes += chunk.length;
      if (peek.bytes >= limit) finish({});
    };
    const onEnd = () => finish({ ended: true });
    const onError = (error: unknown) => finish({ error });
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

/**
 * A small body in plain bytes, whatever its `Content-Encoding` (to redact an error, or read an id);
 * undefined when it cannot be decoded or grows past `max`.
 *
 * @example
 * decoded(gzipSync('{"id":"file-1"}'), 'gzip', 1 << 20)?.toString(); // '{"id":"file-1"}'
 */
export function decoded(body: Buffer, encoding: string | string[] | undefined, max: number): Buffer | undefined {
  const e = (Array.isArray(encoding) ? encoding.join(',') : (encoding ?? '')).trim().toLowerCase();
  const limit = { maxOutputLength: max };
  try {
    if (e === '' || e === 'identity') return body.length <= max ? body : undefined;
    if (e === 'gzip' || e === 'x-gzip') return gunzipSync(body, limit);
    if (e === 'br') return brotliDecompressSync(body, limit);
    if (e === 'deflate') {
      try {
        return inflateSync(body, limit);
      } catch {
        return inflateRawSync(body, limit); // some servers send deflate without its zlib wrapper
      }
    }
  } catch {
    // corrupt, or larger than `max` once decoded
  }
  return undefined;
}

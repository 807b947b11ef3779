import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Dispatcher } from 'undici';
import type { Cancel } from '../routing/cancel.js';
import { OriginClients, type OriginDispatcher } from './origin-clients.js';
import { connectorNotingTls, tlsErrorBehind } from './tls-failures.js';
import type { UpstreamResponse } from './types.js';
import { buildConnector } from './undici-parts.js';
import { headersFromRaw, UpstreamBody } from './upstream-body.js';

/**
 * The connections one provider's requests go through: undici clients per origin for the calls of `post`,
 * and Node's agents per URL scheme for the `/v1/*` pass-through (which streams a request body through).
 */
export interface UpstreamAgents {
  readonly http: HttpAgent;
  readonly https: HttpsAgent;
  /** The keep-alive connections to `origin` (`https://host:port`), with this provider's TLS settings. */
  pool(origin: string): OriginDispatcher;
}

/** TLS settings of one provider, with the files already read (see config `providers[].tls`). */
export interface UpstreamTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
}

// No cap on sockets: a capped pool queues requests silently (1,000 streams held 256 sockets and the rest
// waited for seconds). A provider that must be protected gets `max_connections`, enforced per attempt
// with a metric and a clear failure. Node's defaults otherwise (lifo reuse, 256 idle sockets kept): a
// longer TCP keep-alive probe delay measured several us slower per request, as every release re-applies it.
const POOL = { keepAlive: true } as const;

/**
 * Pooled keep-alive upstream connections, sockets reused across requests and providers: undici clients
 * per origin for `post` (OriginClients; undici's dispatch API cost 0.80x the CPU per chat request of Node's
 * ClientRequest and agent in `ab.js`: no ClientRequest, header object or IncomingMessage per call), and one Node agent per
 * scheme for the pass-through. A provider with its own TLS settings gets its own pools and https agent,
 * since trust and client certificates belong to the connection.
 */
export class UpstreamAgentPool implements UpstreamAgents {
  readonly http = new HttpAgent(POOL);
  readonly https = new HttpsAgent(POOL);
  private readonly shared = new OriginPools(undefined);
  private readonly dedicated: Array<{ https: HttpsAgent; pools: OriginPools }> = [];

  pool(origin: string): OriginDispatcher {
    return this.shared.get(origin);
  }

  /** The shared connections, or for a provider with TLS settings its own (the shared http agent kept). */
  forProvider(tls: UpstreamTls | undefined): UpstreamAgents {
    if (!tls) return this;
    const own = { https: new HttpsAgent({ ...POOL, ...tls }), pools: new OriginPools(tls) };
    this.dedicated.push(own);
    return { http: this.http, https: own.https, pool: (origin) => own.pools.get(origin) };
  }

  destroy(): void {
    this.http.destroy();
    this.https.destroy();
    this.shared.destroy();
    for (const own of this.dedicated) {
      own.https.destroy();
      own.pools.destroy();
    }
  }
}

/** One OriginClients per origin, all with the same TLS settings. */
class OriginPools {
  private readonly pools = new Map<string, OriginClients>();

  constructor(private readonly tls: UpstreamTls | undefined) {}

  get(origin: string): OriginClients {
    let pool = this.pools.get(origin);
    if (!pool) {
      // No cap on connections (see POOL); one idle for 60 s is closed, sooner when the server says so.
      // One connector per origin, shared by its clients (and with it the TLS session cache).
      const connect = origin.startsWith('https:') ? connectorNotingTls({ ...this.tls }) : buildConnector({});
      pool = new OriginClients(origin, { pipelining: 1, keepAliveTimeout: 60_000, connect });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  destroy(): void {
    for (const pool of this.pools.values()) pool.destroy();
    this.pools.clear();
  }
}

export interface PostOptions {
  agents: UpstreamAgents;
  /** The provider's origin (`https://host:port`), worked out once by its adapter (URL's getter builds it anew each time). */
  origin: string;
  path: string;
  /** POST by default. */
  method?: 'GET' | 'POST' | 'DELETE';
  headers: Record<string, string>;
  /** None for a GET. */
  body?: Buffer | string;
  /** The answer is a stream, which can last minutes: a long body is not kept for as long (`LET_GO_FROM`). */
  streamed?: boolean;
  cancel: Cancel;
  /** Longest silence allowed on the socket while this request is out; 0: no socket timer (about 8 us of CPU per request). */
  idleTimeoutMs: number;
}

/** The code of the error a request ends with when its socket stays silent past `idleTimeoutMs`. */
export const IDLE_TIMEOUT = 'UPSTREAM_IDLE_TIMEOUT';

/** undici's error codes as the codes Node's client gave (classification and logs name these). */
const CODES: Record<string, string> = {
  UND_ERR_SOCKET: 'ECONNRESET',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_HEADERS_TIMEOUT: IDLE_TIMEOUT,
  UND_ERR_BODY_TIMEOUT: IDLE_TIMEOUT,
};

function asNodeError(err: Error & { code?: string; socket?: { localPort?: number } }): Error {
  if (err.code === 'UND_ERR_SOCKET') {
    const tls = tlsErrorBehind(err);
    if (tls) return tls;
  }
  const code = err.code === undefined ? undefined : CODES[err.code];
  if (code === undefined) return err;
  return Object.assign(new Error(code === IDLE_TIMEOUT ? 'upstream idle timeout' : err.message), { code });
}

/**
 * One upstream request on the pooled connections; resolves at the response headers (the body is the
 * caller's to read), rejects on a transport error or `cancel`.
 *
 * @example
 * const res = await post({ agents, origin: 'https://api.openai.com', path: '/v1/chat/completions', headers, body, cancel, idleTimeoutMs: 30_000 });
 */
export function post(o: PostOptions): Promise<UpstreamResponse> {
  return new Promise((resolve, reject) => {
    if (o.cancel.aborted) return reject(o.cancel.reason);
    const method = o.method ?? 'POST';
    const exchange = new UpstreamExchange(o.cancel, resolve, reject);
    let { headers } = o;
    let body: Dispatcher.DispatchOptions['body'] = o.body ?? null;
    if (o.streamed && o.body !== undefined && o.body.length >= LET_GO_FROM) {
      const bytes = typeof o.body === 'string' ? Buffer.from(o.body) : o.body;
      headers = Object.assign({}, headers, { 'content-length': String(bytes.length) });
      // undici's documentation lists iterables among a request's bodies; its types leave them out.
      body = new BodyOnce(bytes) as unknown as Dispatcher.DispatchOptions['body'];
    }
    o.agents.pool(o.origin).dispatch({ path: o.path, method, headers, body, headersTimeout: o.idleTimeoutMs, bodyTimeout: o.idleTimeoutMs }, exchange);
  });
}

/**
 * undici keeps a request's body until its answer has ended, and a streamed answer can last minutes: a
 * long prompt (agents send hundreds of kB) would be held for as long as its answer streams, per open
 * stream. From this size on a streamed request's body goes as a `BodyOnce`, with its length in the
 * headers (undici then sends it with a content-length, as it sends a buffer). Other bodies go as they
 * are, on undici's quicker path for buffers (the iterable's cost 4-8% more CPU per request with a 40 kB
 * prompt, ab.js): a small one holds little, a whole answer's is let go of within the request.
 */
const LET_GO_FROM = 16 * 1024;

/** A body that yields its bytes once and then lets go of them (undici keeps the iterable, not the bytes). */
class BodyOnce implements Iterable<Buffer> {
  constructor(private bytes: Buffer | undefined) {}

  *[Symbol.iterator](): Iterator<Buffer> {
    const bytes = this.bytes;
    this.bytes = undefined;
    if (bytes) yield bytes;
  }
}

const cancelled = (): Error => Object.assign(new Error('aborted'), { code: 'ABORTED' });

/**
 * undici's dispatch handler for one request: the response at its headers, its body fed to an
 * UpstreamBody, the request's Cancel wired to undici's abort. A class so that its callbacks are
 * methods, not closures made per request.
 */
class UpstreamExchange implements Dispatcher.DispatchHandlers {
  private abortRequest: ((err: Error) => void) | undefined;
  private body: UpstreamBody | undefined;
  private settled = false;

  constructor(
    private readonly cancel: Cancel,
    private readonly resolve: (res: UpstreamResponse) => void,
    private readonly reject: (err: Error) => void,
  ) {
    cancel.onAbort(this.onCancel);
  }

  // Cancelled before the connection took the request: the caller hears at once; the request is
  // dropped when its connection comes (undici hands out its abort only then).
  private readonly onCancel = (): void => {
    if (this.abortRequest) return this.abortRequest(cancelled());
    if (!this.settled) {
      this.settled = true;
      this.reject(cancelled());
    }
  };

  private readonly abortBody = (err: Error): void => this.abortRequest?.(err);

  private readonly release = (): void => this.cancel.offAbort(this.onCancel);

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.cancel.aborted) abort(cancelled());
  }

  onHeaders(status: number, raw: Buffer[] | string[] | null, resume: () => void): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.body = new UpstreamBody(resume, this.abortBody, this.release);
    this.resolve({ status, headers: headersFromRaw((raw ?? []) as Buffer[]), body: this.body });
    return true;
  }

  onData(chunk: Buffer): boolean {
    return this.body ? this.body.deliver(chunk) : true;
  }

  onComplete(): void {
    this.release();
    this.body?.finish();
  }

  onError(err: Error): void {
    this.release();
    const e = asNodeError(err);
    if (this.body) this.body.fail(e);
    else if (!this.settled) {
      this.settled = true;
      this.reject(e);
    }
  }
}

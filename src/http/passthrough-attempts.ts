/**
 * The attempt loop of the pass-through front door: the `openai` providers in order, each behind its
 * breaker, until one answers in a way that is passed back. Failing over is decided by what may be sent
 * again: a GET, HEAD, DELETE or OPTIONS (safe to repeat) moves on after a connection error, 5xx, 408,
 * 429, 401/403, or a 404 (the object may live at another provider); any other method only when nothing
 * reached the provider (it could not be connected to) or when it answered 404 to a body still in
 * memory. A streamed body that started going upstream is never sent again.
 */
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import type { ApiError } from '../core/errors.js';
import { gatewayError } from '../core/errors.js';
import { upstreamErrorEnvelope } from '../core/exhausted.js';
import { CALLER_KEY_MISSING } from '../core/plan-narrow.js';
import type { ProviderRuntime } from '../core/provider-runtime.js';
import type { Gateway } from '../gateway.js';
import type { CallerKeys } from '../providers/caller-keys.js';
import type { RequestKeys } from '../providers/request-keys.js';
import type { Cancel } from '../routing/cancel.js';
import type { Admission, BreakerOutcome } from '../routing/circuit-breaker.js';
import { classifyFailure, describeFailure, failureFromError, parseRetryAfter } from '../routing/classify.js';
import { errorJson } from './errors.js';
import { BODY_TOO_LARGE, clientHeaders, decoded, exchange, readUpTo, upstreamHeaders } from './passthrough-upstream.js';

/** What the front door answers. */
export type Reply =
  /** The client went away: nothing to write. */
  | { kind: 'gone' }
  /** A whole small answer: a gateway error, or a provider's error with its keys redacted. */
  | { kind: 'bytes'; status: number; headers: OutgoingHttpHeaders; body: Buffer }
  /** A provider's success, its body still to be piped after `head`. */
  | {
      kind: 'upstream';
      provider: string;
      status: number;
      headers: OutgoingHttpHeaders;
      body: IncomingMessage;
      /** What was read ahead (a JSON answer's first 64 KiB), to be written first. */
      head: Buffer[];
      /** `head` is the whole body. */
      ended: boolean;
      /** The whole JSON answer decoded, when it was small enough to read ahead (to learn ids from). */
      json?: Buffer;
      /** Settles the provider's breaker once the body is through (or cut); only the first call counts. */
      settle(outcome: BreakerOutcome): void;
    };

export interface AttemptAllOptions {
  gateway: Gateway;
  method: string;
  /** `METHOD /v1/path`, for messages and logs (no query string). */
  what: string;
  /** The path after `/v1`, with its query string, as the provider's base URL gets it. */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer | IncomingMessage | undefined;
  /** The Content-Length to send: the client's, or the held body's; undefined to stream chunked. */
  contentLength: number | undefined;
  /** In order; one alone when the object the path names is known to live there. */
  candidates: readonly ProviderRuntime[];
  /** Set when `candidates` is the provider holding the object the path names. */
  owner?: string;
  requestId: string;
  cancel: Cancel;
  /** The caller's own vendor keys, for providers with `client_keys`. */
  callerKeys?: CallerKeys;
}

const REPEATABLE = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS']);
/** JSON answers are read ahead up to this size (to learn the id of what they created)... */
const PEEK_BYTES = 64 * 1024;
/** ...error answers up to this size (to redact keys); a larger one is replaced by a summary. */
const ERROR_BYTES = 64 * 1024;
/** Largest decoded size of a compressed answer read ahead. */
const DECODED_BYTES = 1024 * 1024;

const json = { 'content-type': 'application/json' };
const gatewayReply = (e: ApiError, headers: OutgoingHttpHeaders = {}): Reply => ({ kind: 'bytes', status: e.status, headers: Object.assign({}, headers, json), body: Buffer.from(errorJson(e)) });

/**
 * Tries the candidates in order and returns the answer to give.
 *
 * @example
 * const reply = await attemptAll({ gateway, method: 'GET', what: 'GET /v1/files', path: '/files', headers: req.headers, body: undefined, contentLength: undefined, candidates, requestId, cancel });
 */
export async function attemptAll(o: AttemptAllOptions): Promise<Reply> {
  const t: PassTally = { tried: [], made: 0, kept: undefined, retryAfterMs: undefined, allTimedOut: true };
  for (const [i, p] of o.candidates.entries()) {
    const keys = p.keysFor(o.callerKeys);
    if (!keys.usable) {
      t.tried.push(`${p.name}: skipped, ${CALLER_KEY_MISSING}`);
      continue;
    }
    const admission = o.gateway.breakers.admit(p.name);
    if (!admission.allowed) {
      t.tried.push(`${p.name}: skipped, circuit open`);
      const wait = o.gateway.breakers.msUntilProbe(p.name);
      t.retryAfterMs = t.retryAfterMs === undefined ? wait : Math.min(t.retryAfterMs, wait);
      continue;
    }
    t.made += 1;
    const step = await tryProvider(o, p, keys, admission, t, i < o.candidates.length - 1);
    if (step === 'next') continue;
    if (step === 'stop') break;
    return step;
  }
  return exhaustedReply(o, t);
}

/** What the attempts so far have found. */
interface PassTally {
  tried: string[];
  made: number;
  /** An error answer kept in case no later provider does better. */
  kept: Extract<Reply, { kind: 'bytes' }> | undefined;
  retryAfterMs: number | undefined;
  allTimedOut: boolean;
}

/** One provider's attempt: the reply to give, or whether to go on to the next provider. */
async function tryProvider(o: AttemptAllOptions, p: ProviderRuntime, keys: RequestKeys, admission: Admission, t: PassTally, more: boolean): Promise<Reply | 'next' | 'stop'> {
  const { gateway } = o;
  const repeatable = REPEATABLE.has(o.method);
  const replayable = !(o.body instanceof Readable);
  let settled = false;
  const settle = (outcome: BreakerOutcome) => {
    if (settled) return;
    settled = true;
    gateway.breakers.settle(p.name, admission, outcome);
  };
  const failed = (detail: string) => {
    t.tried.push(`${p.name}: ${detail}`);
    gateway.logger.warn({ requestId: o.requestId, provider: p.name, request: o.what, error: detail }, 'pass-through attempt failed');
  };
  const lost = (error: unknown): 'gone' | 'failed' => {
    if (o.cancel.aborted) {
      settle('neutral');
      return 'gone';
    }
    const failure = failureFromError(error);
    settle('failure');
    failed(describeFailure(failure));
    if (failure.kind !== 'timeout') t.allTimedOut = false;
    return 'failed';
  };

  const key = keys.pick(gateway.clock());
  const callers = keys.isCallerKey(key);
  const redact = (x: string) => p.redact(x, o.callerKeys);
  const base = new URL(p.config.base_url);
  const ex = await exchange({
    agents: p.agents,
    url: base,
    path: base.pathname.replace(/\/+$/, '') + o.path,
    method: o.method,
    headers: upstreamHeaders(o.headers, key, o.requestId, o.contentLength),
    body: o.body,
    maxBodyBytes: gateway.config.limits.max_body_bytes,
    idleTimeoutMs: p.config.timeout_ms,
    cancel: o.cancel,
  });
  if (!ex.ok) {
    if (!o.cancel.aborted && (ex.error as { code?: unknown }).code === BODY_TOO_LARGE) {
      settle('neutral');
      gateway.metrics.rejected.labels('too_large').inc();
      return gatewayReply(gatewayError('request_too_large', `Request body is larger than ${gateway.config.limits.max_body_bytes} bytes.`), { connection: 'close' });
    }
    if (lost(ex.error) === 'gone') return { kind: 'gone' };
    const kind = failureFromError(ex.error).kind;
    // Unreachable (refused, or no TLS session): nothing reached the provider, whatever the method.
    return more && !ex.consumed && (repeatable || kind === 'connect' || kind === 'tls') ? 'next' : 'stop';
  }

  const res = ex.res;
  const status = res.statusCode ?? 502;
  const retryMs = parseRetryAfter(res.headers['retry-after']);
  keys.report(key, status, gateway.clock(), retryMs);
  const headers: OutgoingHttpHeaders = clientHeaders(res.headers);
  headers['x-switchyard-provider'] = p.name;
  headers['x-switchyard-attempts'] = t.made;

  if (status < 400) {
    if (o.method === 'HEAD' || !isJson(res.headers['content-type'])) return { kind: 'upstream', provider: p.name, status, headers, body: res, head: [], ended: false, settle };
    const peek = await readUpTo(res, PEEK_BYTES);
    if (peek.error !== undefined) {
      if (lost(peek.error) === 'gone') return { kind: 'gone' };
      t.allTimedOut = false;
      return more && repeatable && replayable ? 'next' : 'stop';
    }
    const whole = peek.ended ? decoded(Buffer.concat(peek.chunks), res.headers['content-encoding'], DECODED_BYTES) : undefined;
    return { kind: 'upstream', provider: p.name, status, headers, body: res, head: peek.chunks, ended: peek.ended, ...(whole ? { json: whole } : {}), settle };
  }

  // An error answer is small: read whole, keys redacted, passed back in the envelope.
  const peek = await readUpTo(res, ERROR_BYTES + 1);
  if (!peek.ended) res.destroy();
  const plain = peek.ended ? decoded(Buffer.concat(peek.chunks), res.headers['content-encoding'], ERROR_BYTES) : undefined;
  // A refusal or rate limit of the caller's own key says nothing of the provider's health.
  const blamesCaller = callers && (status === 401 || status === 403 || status === 429);
  const verdict = classifyFailure(
    blamesCaller ? { kind: 'caller_key', status, detail: `the caller's own key got HTTP ${status}` } : { kind: 'status', status, ...(retryMs !== undefined ? { retryAfterMs: retryMs } : {}) },
  );
  settle(verdict.breaker);
  t.allTimedOut = false;
  const reply = errorReply(status, headers, upstreamErrorEnvelope(plain ?? Buffer.alloc(0), status, redact));
  if (more && replayable && (repeatable ? verdict.failover : status === 404)) {
    failed(`HTTP ${status}`);
    t.kept = reply;
    return 'next';
  }
  return reply;
}

/** No provider gave an answer to pass on: the last error kept, or what was tried. */
function exhaustedReply(o: AttemptAllOptions, t: PassTally): Reply {
  const attempts = { 'x-switchyard-attempts': t.made };
  if (t.kept) return Object.assign({}, t.kept, { headers: Object.assign({}, t.kept.headers, attempts) });
  const list = t.tried.join('; ');
  if (t.made === 0) {
    const holder = o.owner ? ` (the object it names lives at ${o.owner})` : '';
    const retry = t.retryAfterMs === undefined ? {} : { 'retry-after': String(Math.max(1, Math.ceil(t.retryAfterMs / 1000))) };
    return gatewayReply(gatewayError('providers_unavailable', `No openai provider is available for ${o.what}${holder}: ${list}.`), { ...attempts, ...retry });
  }
  if (t.allTimedOut) return gatewayReply(gatewayError('upstream_timeout', `Every openai provider timed out for ${o.what}: ${list}.`), attempts);
  return gatewayReply(gatewayError('all_providers_failed', `Every openai provider failed for ${o.what}: ${list}.`), attempts);
}

/** The provider's error as the client gets it: its headers, less those of the body it no longer has. */
function errorReply(status: number, upstream: OutgoingHttpHeaders, body: Buffer): Extract<Reply, { kind: 'bytes' }> {
  const { 'content-length': _length, 'content-encoding': _encoding, 'content-type': _type, etag: _etag, ...headers } = upstream;
  return { kind: 'bytes', status, headers: Object.assign(headers, json), body };
}

function isJson(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

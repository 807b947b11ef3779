/**
 * The steps a JSON front door on the fast path takes before its protocol: the content type (415), the
 * body read off the socket with the size limit (413), a concurrency slot (503, taken only once the body
 * is in), the JSON parse (400), and the caller's routing wishes from `x-switchyard-*` headers. Every
 * door (OpenAI chat, Responses, Anthropic Messages) takes these same steps from here.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../core/client-keys.js';
import { type ApiError, gatewayError } from '../core/errors.js';
import { headerValue } from '../core/header-value.js';
import type { RouteOptions } from '../core/request.js';
import type { Gateway } from '../gateway.js';
import { CallerKeys } from '../providers/caller-keys.js';
import { Cancel } from '../routing/cancel.js';
import { readBody } from './read-body.js';

/** Answers with a gateway error (and logs it); `extra` goes on the log line. */
export type Fail = (e: ApiError, headers?: Record<string, string | number>, extra?: Record<string, unknown>) => void;

const SATURATED = gatewayError('gateway_saturated', 'The gateway is at its limit of concurrent requests; retry shortly.');

/**
 * Reads and parses the JSON body, holding a concurrency slot from then until the response closes.
 * Undefined when it answered already (415, 413, 503, 400) or the caller went away.
 *
 * @example
 * const body = await admitJson(gateway, req, res, fail);
 * if (body === undefined) return;
 */
export async function admitJson(gateway: Gateway, req: IncomingMessage, res: ServerResponse, fail: Fail): Promise<{ json: unknown; bytes: number; raw: Buffer } | undefined> {
  if (!declaresJson(req.headers['content-type'])) {
    req.resume();
    gateway.metrics.rejected.labels('unsupported_media_type').inc();
    fail(gatewayError('unsupported_media_type', `The request body must be JSON: send Content-Type: application/json (got ${headerValue(req.headers['content-type'] ?? '', 64)}).`));
    return undefined;
  }
  const limit = gateway.config.limits.max_body_bytes;
  const read = await readBody(req, limit);
  if (!read.ok) {
    if (read.reason !== 'too_large') return undefined; // went away, or its body did not arrive in time (the server answered 408)
    gateway.metrics.rejected.labels('too_large').inc();
    fail(gatewayError('request_too_large', `Request body is larger than ${limit} bytes.`));
    return undefined;
  }
  if (gateway.inFlight >= gateway.config.limits.max_concurrent_requests) {
    gateway.metrics.rejected.labels('saturated').inc();
    fail(SATURATED, { 'retry-after': 1 });
    return undefined;
  }
  gateway.enter();
  // 'close' comes once: `on` spares the wrapper `once` makes.
  res.on('close', () => gateway.leave());
  try {
    return { json: JSON.parse(read.body.toString('utf8')) as unknown, bytes: read.body.length, raw: read.body };
  } catch {
    fail(gatewayError('invalid_json', 'We could not parse the JSON body of your request. The body must be valid JSON.'));
    return undefined;
  }
}

/**
 * The caller's routing wishes, from `x-switchyard-*` headers (the session also from Claude Code's
 * `x-claude-code-session-id`; priority lane, preferred providers, the caller's own vendor keys) and
 * `Idempotency-Key`, with a signal
 * aborted when the caller goes away before the response is finished.
 *
 * @example
 * serve(gateway, request, routeOptions(req.headers, res, requestId, preflight.caller));
 */
export function routeOptions(h: IncomingHttpHeaders, res: ServerResponse, requestId: string, caller: Caller): RouteOptions {
  const signal = new Cancel();
  res.on('close', () => {
    if (!res.writableFinished) signal.abort();
  });
  const o: RouteOptions = { requestId, client: caller.id, signal };
  if (caller.policy) o.key = caller.policy;
  const strategy = first(h['x-switchyard-strategy']);
  const mode = first(h['x-switchyard-mode']);
  const provider = first(h['x-switchyard-provider']);
  const session = sessionOf(h);
  const idempotencyKey = first(h['idempotency-key']);
  if (strategy !== undefined) o.strategy = strategy;
  if (mode !== undefined) o.mode = mode;
  if (provider !== undefined) o.provider = provider;
  if (session !== undefined) o.session = session;
  if (idempotencyKey !== undefined) o.idempotencyKey = idempotencyKey;
  const lastEventId = first(h['last-event-id']);
  if (lastEventId !== undefined) o.lastEventId = lastEventId;
  const hedge = first(h['x-switchyard-hedge']);
  if (hedge !== undefined) o.hedge = hedge;
  if (/^(false|0|no|none|off)$/i.test(first(h['x-switchyard-fallback']) ?? '')) o.fallback = false;
  const priority = first(h['x-switchyard-priority']);
  if (priority !== undefined) o.priority = priority;
  const prefer = listOf(first(h['x-switchyard-prefer']));
  if (prefer.length > 0) o.prefer = prefer;
  // With client keys (auth.keys), Authorization carries the gateway key: never a vendor's.
  const callerKeys = CallerKeys.fromHeaders(h, caller.policy !== undefined);
  if (callerKeys) o.callerKeys = callerKeys;
  return o;
}

/** A comma-separated header as its non-empty, trimmed items. */
const listOf = (v: string | undefined): string[] => (v === undefined ? [] : v.split(',').flatMap((s) => (s.trim() === '' ? [] : [s.trim()])));

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The conversation a request belongs to: x-switchyard-session, else Claude Code's x-claude-code-session-id. */
const sessionOf = (h: IncomingHttpHeaders): string | undefined => first(h['x-switchyard-session']) ?? first(h['x-claude-code-session-id']);

/** Bodies are JSON: a missing Content-Type is taken as JSON, a declared other type is refused (415). */
export function declaresJson(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === '' || contentType === 'application/json') return true;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

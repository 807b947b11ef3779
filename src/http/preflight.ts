import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Caller } from '../core/client-keys.js';
import { type ApiError, gatewayError } from '../core/errors.js';
import type { Gateway } from '../gateway.js';
import { writeRequestLine } from '../telemetry/request-log.js';
import { matchesAnyKey } from './auth.js';
import { requestIdFrom } from './request-id.js';

/** What every route knows of a request before it does anything else. */
export interface Preflight {
  requestId: string;
  /** performance.now() when it arrived. */
  started: number;
  /** Who is asking: its client key's identity and policy, or its address when no key is needed. */
  caller: Caller;
  /** Set when the route needs a client key (`auth.keys`) and none of them was presented. */
  refused?: ApiError;
}

const UNAUTHORIZED = gatewayError('invalid_api_key', 'Incorrect or missing API key: send Authorization: Bearer <key> (or x-api-key: <key>).');

/**
 * The client key a request presents, as an `Authorization: Bearer` value: that header when it is one,
 * else `x-api-key` (how Anthropic's SDKs send keys); undefined when there is neither.
 *
 * @example
 * clientCredential({ 'x-api-key': 'k1' });            // 'Bearer k1'
 * clientCredential({ authorization: 'Bearer k2' });   // 'Bearer k2'
 */
export function clientCredential(headers: IncomingHttpHeaders): string | undefined {
  if (headers.authorization?.startsWith('Bearer ')) return headers.authorization;
  const x = headers['x-api-key'];
  const key = Array.isArray(x) ? x[0] : x;
  return key ? `Bearer ${key}` : undefined;
}

/**
 * The first step of every route, on the fast path and in Hono alike: the request id (the caller's when
 * sane) and who is asking. With `auth.keys`, a route that takes client keys needs one of them
 * (`Authorization: Bearer <key>` or `x-api-key: <key>`, compared in constant time); `orAdmin` also
 * accepts an admin key (private /health and /metrics).
 *
 * @example
 * const p = preflight(gateway, req, true);
 * if (p.refused) return writeError(res, p.refused, { 'x-request-id': p.requestId });
 * serve(gateway, request, { requestId: p.requestId, client: p.caller.id, key: p.caller.policy, ... });
 */
export function preflight(gateway: Gateway, req: IncomingMessage, needsClientKey: boolean, orAdmin = false): Preflight {
  const headers = req.headers;
  const requestId = requestIdFrom(headers['x-request-id'] as string | undefined);
  const book = gateway.keyBook;
  const credential = book.size > 0 ? clientCredential(headers) : undefined;
  const found = credential ? book.find(credential.slice(7).trim()) : undefined;
  const p: Preflight = { requestId, started: performance.now(), caller: found ?? addressCaller(req.socket) };
  if (needsClientKey && book.size > 0 && !found && !(orAdmin && isAdmin(gateway, headers))) {
    gateway.metrics.rejected.labels('unauthorized').inc();
    p.refused = UNAUTHORIZED;
  }
  return p;
}

const ADDRESS_CALLER = Symbol('switchyard.addressCaller');

/** A caller known by its address, made once per connection (a keep-alive connection carries many requests). */
function addressCaller(socket: Socket & { [ADDRESS_CALLER]?: Caller }): Caller {
  let caller = socket[ADDRESS_CALLER];
  if (!caller) {
    caller = { id: `ip-${socket.remoteAddress ?? 'unknown'}` };
    socket[ADDRESS_CALLER] = caller;
  }
  return caller;
}

function isAdmin(gateway: Gateway, headers: IncomingHttpHeaders): boolean {
  const admin = gateway.config.auth.admin_keys;
  return admin !== undefined && admin.length > 0 && matchesAnyKey(clientCredential(headers), admin);
}

/**
 * The last step of every route: one log line and the `switchyard_http_requests_total` count.
 *
 * @example
 * finishRequest(gateway, p, 'GET', '/health', 'health', 200);
 */
export function finishRequest(gateway: Gateway, p: Preflight, method: string, path: string, route: string, status: number, extra?: Record<string, unknown>): void {
  gateway.metrics.recordHttp(route, status);
  writeRequestLine(gateway.logger, { requestId: p.requestId, method, path, status, ms: Math.round((performance.now() - p.started) * 100) / 100 }, extra);
}

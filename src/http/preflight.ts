import type { IncomingHttpHeaders } from 'node:http';
import { type ApiError, gatewayError } from '../core/errors.js';
import type { Gateway } from '../gateway.js';
import { matchesAnyKey } from './auth.js';
import { requestIdFrom } from './request-id.js';

/** What every route knows of a request before it does anything else. */
export interface Preflight {
  requestId: string;
  /** performance.now() when it arrived. */
  started: number;
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
 * sane) and, for routes that take client keys, the key check (constant time): `Authorization: Bearer
 * <key>`, or `x-api-key: <key>`.
 *
 * @example
 * const p = preflight(gateway, req.headers, true);
 * if (p.refused) return writeError(res, p.refused, { 'x-request-id': p.requestId });
 */
export function preflight(gateway: Gateway, headers: IncomingHttpHeaders, needsClientKey: boolean, keys: readonly string[] | undefined = gateway.config.auth.keys): Preflight {
  const requestId = requestIdFrom(headers['x-request-id'] as string | undefined);
  const p: Preflight = { requestId, started: performance.now() };
  if (needsClientKey && keys && keys.length > 0 && !presentsKey(headers, keys)) {
    gateway.metrics.rejected.labels('unauthorized').inc();
    p.refused = UNAUTHORIZED;
  }
  return p;
}

/** Whether `Authorization: Bearer` or `x-api-key` carries one of the keys (each compared in constant time). */
function presentsKey(headers: IncomingHttpHeaders, keys: readonly string[]): boolean {
  if (matchesAnyKey(headers.authorization, keys)) return true;
  const x = headers['x-api-key'];
  const key = Array.isArray(x) ? x[0] : x;
  return key !== undefined && key !== '' && matchesAnyKey(`Bearer ${key}`, keys);
}

/**
 * The last step of every route: one log line and the `switchyard_http_requests_total` count.
 *
 * @example
 * finishRequest(gateway, p, 'GET', '/health', 'health', 200);
 */
export function finishRequest(gateway: Gateway, p: Preflight, method: string, path: string, route: string, status: number, extra: Record<string, unknown> = {}): void {
  gateway.metrics.recordHttp(route, status);
  gateway.logger.info({ requestId: p.requestId, method, path, status, ms: Math.round((performance.now() - p.started) * 100) / 100, ...extra }, 'request');
}

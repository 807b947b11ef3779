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

const UNAUTHORIZED = gatewayError('invalid_api_key', 'Incorrect or missing API key: send Authorization: Bearer <key>.');

/**
 * The first step of every route, on the fast path and in Hono alike: the request id (the caller's when
 * sane) and, for routes that take client keys, the key check (constant time).
 *
 * @example
 * const p = preflight(gateway, req.headers, true);
 * if (p.refused) return writeError(res, p.refused, { 'x-request-id': p.requestId });
 */
export function preflight(gateway: Gateway, headers: IncomingHttpHeaders, needsClientKey: boolean, keys: readonly string[] | undefined = gateway.config.auth.keys): Preflight {
  const requestId = requestIdFrom(headers['x-request-id'] as string | undefined);
  const p: Preflight = { requestId, started: performance.now() };
  if (needsClientKey && keys && keys.length > 0 && !matchesAnyKey(headers.authorization, keys)) {
    gateway.metrics.rejected.labels('unauthorized').inc();
    p.refused = UNAUTHORIZED;
  }
  return p;
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

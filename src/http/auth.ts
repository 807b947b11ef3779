import { createHash, timingSafeEqual } from 'node:crypto';
import { type ApiError, gatewayError } from '../core/errors.js';
import type { Gateway } from '../gateway.js';

/** Compares a presented bearer token with each configured key in constant time (hashes equalise lengths). */
export function matchesAnyKey(header: string | undefined, keys: readonly string[]): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const presented = digest(header.slice(7).trim());
  let ok = false;
  for (const k of keys) ok = timingSafeEqual(presented, digest(k)) || ok;
  return ok;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * Why a request may not see admin data: with `auth.admin_keys` set, a Bearer admin key is required;
 * without, only loopback clients are answered. Undefined when it may.
 *
 * @example
 * const refused = adminRefusal(gateway, req.headers.authorization, req.socket.remoteAddress);
 */
export function adminRefusal(gateway: Gateway, authorization: string | undefined, address: string | undefined): ApiError | undefined {
  const keys = gateway.config.auth.admin_keys;
  if (keys && keys.length > 0) {
    return matchesAnyKey(authorization, keys) ? undefined : gatewayError('invalid_admin_key', 'A valid admin key is required (Authorization: Bearer <admin key>).');
  }
  return isLoopback(address) ? undefined : gatewayError('admin_loopback_only', 'Admin endpoints answer only loopback clients when no admin key is configured.');
}

import { createHash, timingSafeEqual } from 'node:crypto';

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
 * Who a request comes from, for rate limits and idempotency scopes: a digest of its key (never the key
 * itself) when clients authenticate, else its address.
 */
export function clientIdentity(authorization: string | undefined, address: string | undefined, keyed: boolean): string {
  if (keyed && authorization?.startsWith('Bearer ')) return `key-${digest(authorization.slice(7).trim()).toString('base64url').slice(0, 16)}`;
  return `ip-${address ?? 'unknown'}`;
}

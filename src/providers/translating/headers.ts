import type { UpstreamResponse } from '../types.js';

/**
 * Response headers as Node gives them (lower-case names; repeated ones as arrays).
 *
 * @example
 * const headers: ResponseHeaders = { 'retry-after': '2', 'set-cookie': ['a=1', 'b=2'] };
 */
export type ResponseHeaders = UpstreamResponse['headers'];

/** Headers that described the provider's body, not the translated one (its length, type and framing). */
const BODY_HEADERS: ReadonlySet<string> = new Set(['content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * The headers of a translated answer: the provider's (retry-after, request ids, rate limits: the
 * gateway reads them for key rotation and rate tracking) minus the ones that described its body,
 * plus `derived` ones the provider's own did not already carry, and the translated body's type.
 *
 * @example
 * answerHeaders({ 'content-length': '99', 'retry-after': '3' }, 'application/json', { 'x-ratelimit-limit-requests': '50' });
 * // { 'retry-after': '3', 'x-ratelimit-limit-requests': '50', 'content-type': 'application/json' }
 */
export function answerHeaders(upstream: ResponseHeaders, contentType: string, derived: Readonly<Record<string, string>> = {}): ResponseHeaders {
  const out: ResponseHeaders = {};
  for (const [name, value] of Object.entries(upstream)) {
    const key = name.toLowerCase();
    if (value !== undefined && !BODY_HEADERS.has(key)) out[key] = value;
  }
  for (const [key, value] of Object.entries(derived)) if (out[key] === undefined) out[key] = value;
  out['content-type'] = contentType;
  return out;
}

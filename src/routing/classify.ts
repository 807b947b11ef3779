import type { BreakerOutcome } from './circuit-breaker.js';

/** Why an upstream attempt did not produce a usable response. */
export type UpstreamFailure =
  | { kind: 'status'; status: number; retryAfterMs?: number; message?: string; code?: string }
  | { kind: 'connect' | 'reset' | 'timeout' | 'malformed'; detail: string };

export interface Verdict {
  /** Try the next candidate (true), or hand this answer to the client (false). */
  failover: boolean;
  breaker: BreakerOutcome;
}

/**
 * The failover table (README documents it):
 * - connection refused/reset, timeouts, malformed bodies: fail over; count against the breaker.
 * - 408, 429, 5xx, 529: fail over; count against the breaker.
 * - 401, 403: the provider's key or account is at fault, not the client: fail over; count (a broken key
 *   breaks every request).
 * - 404: the upstream does not know this model or path: fail over, but do not count: one client asking
 *   for a model only some providers serve must not open a breaker for everyone.
 * - a context-length error (400/413 saying the prompt is too long): another model may have a larger
 *   window: fail over (to candidates with a larger window); do not count.
 * - other 4xx (400, 413, 422, ...): the request itself is wrong and another provider would reject it
 *   too: answer the client with it; the provider is healthy.
 */
export function classifyFailure(f: UpstreamFailure): Verdict {
  if (f.kind !== 'status') return { failover: true, breaker: 'failure' };
  const s = f.status;
  if (isContextOverflow(f)) return { failover: true, breaker: 'neutral' };
  if (s === 408 || s === 429 || s >= 500) return { failover: true, breaker: 'failure' };
  if (s === 401 || s === 403) return { failover: true, breaker: 'failure' };
  if (s === 404) return { failover: true, breaker: 'neutral' };
  return { failover: false, breaker: 'neutral' };
}

/** `Retry-After` as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  const trimmed = v.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export function describeFailure(f: UpstreamFailure): string {
  if (f.kind === 'status') return `HTTP ${f.status}${f.message ? ` (${f.message})` : ''}`;
  return `${f.kind === 'connect' ? 'connection failed' : f.kind === 'reset' ? 'connection reset' : f.kind === 'timeout' ? 'timed out' : 'malformed response'}: ${f.detail}`;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/** Maps a thrown network error (undici or node) onto a failure; never includes URLs or headers. */
export function failureFromError(err: unknown): UpstreamFailure {
  const e = err as { code?: string; cause?: { code?: string }; name?: string };
  const code = e?.code ?? e?.cause?.code ?? e?.name ?? 'error';
  if (CONNECT_CODES.has(code)) return { kind: 'connect', detail: code };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { kind: 'timeout', detail: code };
  return { kind: 'reset', detail: code };
}

const CONTEXT_MESSAGE = /context.length|context.window|maximum context|prompt is too long|too many tokens|input is too long/i;

/** A provider saying the prompt does not fit its model's context window. */
export function isContextOverflow(f: UpstreamFailure): boolean {
  if (f.kind !== 'status' || (f.status !== 400 && f.status !== 413 && f.status !== 422)) return false;
  return f.code === 'context_length_exceeded' || (f.message !== undefined && CONTEXT_MESSAGE.test(f.message));
}

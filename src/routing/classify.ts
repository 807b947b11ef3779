import type { BreakerOutcome } from './circuit-breaker.js';

/** Why an upstream attempt did not produce a usable response. */
export type UpstreamFailure =
  | { kind: 'status'; status: number; retryAfterMs?: number; message?: string; code?: string }
  | { kind: 'connect' | 'reset' | 'timeout' | 'malformed' | 'tls'; detail: string }
  /** Not sent: the provider is at its `max_connections` on this instance. */
  | { kind: 'saturated'; detail: string }
  /** The caller's own key (`client_keys`) was refused or rate limited: its problem, not the provider's. */
  | { kind: 'caller_key'; status: number; detail: string; retryAfterMs?: number };

export interface Verdict {
  /** Try the next candidate (true), or hand this answer to the client (false). */
  failover: boolean;
  breaker: BreakerOutcome;
}

/**
 * The failover table (README documents it):
 * - connection refused/reset, TLS failures, timeouts, malformed bodies: fail over; count against the breaker.
 * - 408, 429, 5xx, 529: fail over; count against the breaker.
 * - 401, 403: the provider's key or account is at fault, not the client: fail over; count (a broken key
 *   breaks every request).
 * - 401, 403, 429 to the caller's own key (`client_keys`): fail over; do not count (kind `caller_key`).
 * - 404: the upstream does not know this model or path: fail over, but do not count: one client asking
 *   for a model only some providers serve must not open a breaker for everyone.
 * - a context-length error (400/413 saying the prompt is too long): another model may have a larger
 *   window: fail over (to candidates with a larger window); do not count.
 * - other 4xx (400, 413, 422, ...): the request itself is wrong and another provider would reject it
 *   too: answer the client with it; the provider is healthy.
 */
export function classifyFailure(f: UpstreamFailure): Verdict {
  if (f.kind === 'saturated') return { failover: true, breaker: 'neutral' }; // our limit, not the provider's health
  if (f.kind === 'caller_key') return { failover: true, breaker: 'neutral' }; // the caller's key, not the provider's health
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

const FAILURE_LABELS: Record<Exclude<UpstreamFailure['kind'], 'status'>, string> = {
  connect: 'connection failed',
  reset: 'connection reset',
  tls: 'TLS error',
  timeout: 'timed out',
  malformed: 'malformed response',
  saturated: 'not sent',
  caller_key: "caller's key refused",
};

export function describeFailure(f: UpstreamFailure): string {
  if (f.kind === 'status') return `HTTP ${f.status}${f.message ? ` (${f.message})` : ''}`;
  return `${FAILURE_LABELS[f.kind]}: ${f.detail}`;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
/** The upstream client's idle timeout (see http-client's IDLE_TIMEOUT), and the kernel's. */
const TIMEOUT_CODES = new Set(['UPSTREAM_IDLE_TIMEOUT', 'ETIMEDOUT']);

/** Maps a thrown network error onto a failure; never includes URLs or headers. */
export function failureFromError(err: unknown): UpstreamFailure {
  const e = err as { code?: string; cause?: { code?: string; message?: string }; name?: string; message?: string };
  const code = e?.code ?? e?.cause?.code ?? e?.name ?? 'error';
  const tls = describeTlsError(code, (e?.code ? e.message : e?.cause?.message) ?? '');
  if (tls) return { kind: 'tls', detail: tls };
  if (CONNECT_CODES.has(code)) return { kind: 'connect', detail: code };
  if (TIMEOUT_CODES.has(code)) return { kind: 'timeout', detail: code };
  return { kind: 'reset', detail: code };
}

const CONTEXT_MESSAGE = /context.length|context.window|maximum context|prompt is too long|too many tokens|input is too long/i;

/** A provider saying the prompt does not fit its model's context window. */
export function isContextOverflow(f: UpstreamFailure): boolean {
  if (f.kind !== 'status' || (f.status !== 400 && f.status !== 413 && f.status !== 422)) return false;
  return f.code === 'context_length_exceeded' || (f.message !== undefined && CONTEXT_MESSAGE.test(f.message));
}

const TRUST_HINT = 'set providers[].tls.ca_file or NODE_EXTRA_CA_CERTS';
const NAME_HINT = "check base_url's host or set providers[].tls.servername";
const unknownAuthority = { what: 'certificate signed by an unknown authority', hint: TRUST_HINT };

/** OpenSSL's verification codes (as Node reports them) in words, with what to do where config can help. */
const CERTIFICATE_PROBLEMS: Record<string, { what: string; hint?: string }> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: unknownAuthority,
  UNABLE_TO_GET_ISSUER_CERT: unknownAuthority,
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: unknownAuthority,
  SELF_SIGNED_CERT_IN_CHAIN: { what: 'self-signed certificate in the chain (unknown authority)', hint: TRUST_HINT },
  DEPTH_ZERO_SELF_SIGNED_CERT: { what: 'self-signed certificate', hint: TRUST_HINT },
  CERT_UNTRUSTED: { what: 'certificate not trusted', hint: TRUST_HINT },
  CERT_HAS_EXPIRED: { what: 'certificate has expired' },
  CERT_NOT_YET_VALID: { what: 'certificate is not yet valid' },
  CERT_REVOKED: { what: 'certificate has been revoked' },
  CERT_SIGNATURE_FAILURE: { what: 'certificate signature does not verify' },
  CERT_REJECTED: { what: 'certificate rejected' },
  INVALID_CA: { what: 'an issuing certificate is not a valid CA' },
  INVALID_PURPOSE: { what: 'certificate is not meant for this use' },
  PATH_LENGTH_EXCEEDED: { what: 'certificate chain too long' },
  HOSTNAME_MISMATCH: { what: 'certificate does not match the host name', hint: NAME_HINT },
  ERR_TLS_CERT_ALTNAME_INVALID: { what: 'certificate does not match the host name', hint: NAME_HINT },
};

/**
 * A TLS failure in words, e.g. `certificate signed by an unknown authority (UNABLE_TO_VERIFY_LEAF_SIGNATURE);
 * set ...`, or undefined for other errors. `message` is only read for OpenSSL's reason text (never URLs).
 */
export function describeTlsError(code: string, message: string): string | undefined {
  const known = CERTIFICATE_PROBLEMS[code];
  if (known) return `${known.what} (${code})${known.hint ? `; ${known.hint}` : ''}`;
  if (code === 'ECONNRESET' && /before secure TLS connection/i.test(message)) {
    return `connection closed during the TLS handshake (${code}); the server may require a client certificate (providers[].tls.cert_file and key_file)`;
  }
  const isSsl = code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || (code === 'EPROTO' && /ssl|tls/i.test(message));
  if (!isSsl) return undefined;
  // OpenSSL messages read "...:SSL routines:<function>:<reason>:<source file>:..."; the reason is what helps.
  const reason =
    /SSL routines:[^:]*:([^:]+)/.exec(message)?.[1]?.trim() ??
    code
      .replace(/^ERR_(SSL|TLS)_/, '')
      .toLowerCase()
      .replace(/_/g, ' ');
  if (/certificate required|handshake failure/i.test(reason) || /CERTIFICATE_REQUIRED/.test(code)) {
    return `${reason} (${code}); the server may require a client certificate: set providers[].tls.cert_file and key_file`;
  }
  if (/wrong version number|packet length too long/i.test(reason)) return `${reason} (${code}); is the upstream speaking plain HTTP? check base_url's scheme`;
  return `${reason} (${code})`;
}

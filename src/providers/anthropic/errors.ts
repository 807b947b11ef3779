/** Anthropic error envelopes and response headers → OpenAI's (protocols.md 3.7, 4.5). Pure: no I/O. */
import { errorTypeFor } from '../respond-as-openai.js';
import { type MappedError, mappedError } from '../translating/error-mapping.js';
import { isObject, parseJson } from '../translating/guards.js';
import { answerHeaders, type ResponseHeaders } from '../translating/headers.js';

/** Anthropic `error.type` → OpenAI `type` / `code`. */
const TYPES: Record<string, { type: string; code: string | null }> = {
  invalid_request_error: { type: 'invalid_request_error', code: null },
  authentication_error: { type: 'authentication_error', code: 'invalid_api_key' },
  permission_error: { type: 'permission_error', code: null },
  not_found_error: { type: 'invalid_request_error', code: 'model_not_found' },
  request_too_large: { type: 'invalid_request_error', code: 'request_too_large' },
  rate_limit_error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' },
  billing_error: { type: 'insufficient_quota', code: 'insufficient_quota' },
  api_error: { type: 'server_error', code: null },
  timeout_error: { type: 'server_error', code: 'timeout' },
  overloaded_error: { type: 'service_unavailable_error', code: 'server_is_overloaded' },
};

/** Reads `{"type":"error","error":{type,message}}` (or just its inner object, as in stream `error` events). */
export function readAnthropicError(payload: unknown): { type: string | undefined; message: string | undefined } {
  const inner = isObject(payload) && isObject(payload.error) ? payload.error : undefined;
  return {
    type: inner && typeof inner.type === 'string' ? inner.type : undefined,
    message: inner && typeof inner.message === 'string' && inner.message !== '' ? inner.message : undefined,
  };
}

/**
 * An Anthropic error answer (its body parsed; undefined when not JSON) as the OpenAI envelope. The
 * status is kept (529 stays 529, so the gateway fails over on it), except a 402 billing error, which
 * becomes 429 `insufficient_quota` as OpenAI reports an exhausted account: it is the provider account's
 * fault, so the gateway fails over.
 */
export function anthropicError(status: number, body: unknown): MappedError {
  const e = readAnthropicError(body);
  const outStatus = e.type === 'billing_error' || (status === 402 && !e.type) ? 429 : status;
  const { type, code } = openAIErrorType(e.type ?? (status === 402 ? 'billing_error' : undefined), status, e.message);
  const message = e.message ?? `The provider answered HTTP ${status}${e.type ? ` (${e.type})` : ''}.`;
  return mappedError(outStatus, message, type, code);
}

/** `anthropicError` from the body's text. */
export const toOpenAIError = (status: number, text: string): MappedError => anthropicError(status, parseJson(text));

/** OpenAI's `type` and `code` for an Anthropic error type (unknown types: by status, type kept as code). */
export function openAIErrorType(anthropicType: string | undefined, status: number, message?: string): { type: string; code: string | null } {
  const known = anthropicType !== undefined ? TYPES[anthropicType] : undefined;
  if (anthropicType === 'invalid_request_error' && message && /prompt is too long/i.test(message)) {
    return { type: 'invalid_request_error', code: 'context_length_exceeded' };
  }
  return known ?? { type: errorTypeFor(status), code: anthropicType ?? null };
}

const LIMITS = ['requests', 'tokens'] as const;

/**
 * Anthropic's rate-limit headers in OpenAI's `x-ratelimit-*` form (what the gateway's rate tracking
 * reads), resets as durations from now (Anthropic sends RFC 3339 timestamps).
 */
export function rateLimitHeaders(h: ResponseHeaders, nowMs: number): Record<string, string> {
  const out: Record<string, string> = {};
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  for (const kind of LIMITS) {
    const limit = first(h[`anthropic-ratelimit-${kind}-limit`]);
    const remaining = first(h[`anthropic-ratelimit-${kind}-remaining`]);
    const reset = first(h[`anthropic-ratelimit-${kind}-reset`]);
    if (limit !== undefined) out[`x-ratelimit-limit-${kind}`] = limit;
    if (remaining !== undefined) out[`x-ratelimit-remaining-${kind}`] = remaining;
    const at = reset !== undefined ? Date.parse(reset) : NaN;
    if (!Number.isNaN(at)) out[`x-ratelimit-reset-${kind}`] = `${Math.max(0, at - nowMs)}ms`;
  }
  return out;
}

/** The headers of a translated Anthropic answer, as the adapter gives them. */
export const translateHeaders = (h: ResponseHeaders, contentType: string, nowMs: number): ResponseHeaders => answerHeaders(h, contentType, rateLimitHeaders(h, nowMs));

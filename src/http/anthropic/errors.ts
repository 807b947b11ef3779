/**
 * Errors in Anthropic's protocol (protocols.md 3.7): the gateway's own errors (`ApiError`), upstream
 * error answers (the OpenAI envelope the core hands back) and stream failures, rendered as
 * `{"type":"error","error":{"type","message"}}` and `event: error`. Pure: no I/O.
 */
import type { ApiError } from '../../core/errors.js';
import { isObject, parseJson } from '../../providers/translating/guards.js';

/**
 * Anthropic's `error.type` values.
 *
 * @example
 * const type: AnthropicErrorType = 'overloaded_error';
 */
export type AnthropicErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'billing_error'
  | 'permission_error'
  | 'not_found_error'
  | 'request_too_large'
  | 'rate_limit_error'
  | 'timeout_error'
  | 'api_error'
  | 'overloaded_error';

/**
 * Anthropic's error envelope.
 *
 * @example
 * const body: AnthropicErrorBody = { type: 'error', error: { type: 'not_found_error', message: 'No such model.' }, request_id: 'req-1' };
 */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: AnthropicErrorType; message: string };
  request_id?: string;
}

const BY_STATUS: Record<number, AnthropicErrorType> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  408: 'timeout_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/**
 * The Anthropic error type that fits an HTTP status (other 4xx: `invalid_request_error`, as Anthropic
 * does; other 5xx: `api_error`).
 *
 * @example
 * anthropicErrorType(429); // 'rate_limit_error'
 * anthropicErrorType(503); // 'overloaded_error'
 * anthropicErrorType(422); // 'invalid_request_error'
 */
export function anthropicErrorType(status: number): AnthropicErrorType {
  return BY_STATUS[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

/** OpenAI error `type`s and `code`s (as adapters write them) with an Anthropic counterpart other than `api_error`. */
const BY_OPENAI_KIND: Record<string, AnthropicErrorType> = {
  invalid_request_error: 'invalid_request_error',
  context_length_exceeded: 'invalid_request_error',
  authentication_error: 'authentication_error',
  invalid_api_key: 'authentication_error',
  permission_error: 'permission_error',
  insufficient_quota: 'billing_error',
  model_not_found: 'not_found_error',
  rate_limit_error: 'rate_limit_error',
  rate_limit_exceeded: 'rate_limit_error',
  service_unavailable: 'overloaded_error',
  service_unavailable_error: 'overloaded_error',
  server_is_overloaded: 'overloaded_error',
  timeout: 'timeout_error',
  timeout_error: 'timeout_error',
};

/**
 * The Anthropic type of an OpenAI error object (an in-band stream error carries no status): by its
 * code first, then its type; anything else is `api_error`.
 *
 * @example
 * errorTypeOfOpenAI({ type: 'service_unavailable_error', code: 'server_is_overloaded' }); // 'overloaded_error'
 * errorTypeOfOpenAI({ type: 'server_error', code: null });                                // 'api_error'
 */
export function errorTypeOfOpenAI(error: unknown): AnthropicErrorType {
  if (!isObject(error)) return 'api_error';
  for (const k of [error.code, error.type]) if (typeof k === 'string' && BY_OPENAI_KIND[k]) return BY_OPENAI_KIND[k];
  return 'api_error';
}

/**
 * An Anthropic error envelope as JSON text.
 *
 * @example
 * anthropicErrorJson('rate_limit_error', 'Slow down.', 'req-1');
 * // '{"type":"error","error":{"type":"rate_limit_error","message":"Slow down."},"request_id":"req-1"}'
 */
export function anthropicErrorJson(type: AnthropicErrorType, message: string, requestId?: string): string {
  const body: AnthropicErrorBody = { type: 'error', error: { type, message }, ...(requestId ? { request_id: requestId } : {}) };
  return JSON.stringify(body);
}

/**
 * A gateway error (the core's catalogue) in Anthropic's envelope; the status stays the catalogue's.
 *
 * @example
 * gatewayErrorJson(gatewayError('invalid_request', 'max_tokens: Field required', 'max_tokens'), 'req-1');
 * // '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"},"request_id":"req-1"}'
 */
export function gatewayErrorJson(e: ApiError, requestId?: string): string {
  return anthropicErrorJson(anthropicErrorType(e.status), e.message, requestId);
}

/**
 * An upstream error answer (status >= 400; the OpenAI envelope, as the core passes errors back) in
 * Anthropic's envelope, its message kept; a body without a message gets one naming the status.
 *
 * @example
 * upstreamErrorJson(429, Buffer.from('{"error":{"message":"slow down","type":"rate_limit_error"}}'));
 * // '{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}'
 */
export function upstreamErrorJson(status: number, body: Buffer | string, requestId?: string): string {
  const parsed = parseJson(typeof body === 'string' ? body : body.toString('utf8'));
  const inner = isObject(parsed) ? parsed.error : undefined;
  const message =
    isObject(inner) && typeof inner.message === 'string' && inner.message !== '' ? inner.message : typeof inner === 'string' && inner !== '' ? inner : `The provider answered HTTP ${status}.`;
  return anthropicErrorJson(anthropicErrorType(status), message, requestId);
}

/**
 * One `event: error` of an Anthropic stream.
 *
 * @example
 * streamErrorEvent('overloaded_error', 'Overloaded');
 * // 'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n'
 */
export function streamErrorEvent(type: AnthropicErrorType, message: string): string {
  return `event: error\ndata: ${anthropicErrorJson(type, message)}\n\n`;
}

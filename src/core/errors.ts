/**
 * Every error the gateway itself answers with, in one catalogue: its wire code, status and type. Front
 * doors render an `ApiError` in their caller's protocol (the OpenAI envelope today); the core and the
 * routes only pick an entry and say what happened.
 */
export type ErrorType = 'invalid_request_error' | 'authentication_error' | 'permission_error' | 'not_found_error' | 'rate_limit_error' | 'server_error' | 'service_unavailable' | 'timeout_error';

/** An error answer, before it is rendered in a protocol. */
export interface ApiError {
  status: number;
  message: string;
  type: ErrorType;
  code: string | null;
  param?: string | null;
}

interface Entry {
  status: number;
  type: ErrorType;
  /** The code on the wire, when it differs from the entry's name. */
  code?: string;
}

const CATALOGUE = {
  // The request itself
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  bad_request: { status: 400, type: 'invalid_request_error' },
  unknown_strategy: { status: 400, type: 'invalid_request_error' },
  unknown_provider: { status: 400, type: 'invalid_request_error' },
  unknown_mode: { status: 400, type: 'invalid_request_error' },
  provider_cannot_serve: { status: 400, type: 'invalid_request_error' },
  unsupported_by_providers: { status: 400, type: 'invalid_request_error' },
  invalid_idempotency_key: { status: 400, type: 'invalid_request_error' },
  invalid_query: { status: 400, type: 'invalid_request_error' },
  invalid_config: { status: 400, type: 'invalid_request_error' },
  model_not_found: { status: 404, type: 'invalid_request_error' },
  unknown_url: { status: 404, type: 'invalid_request_error' },
  provider_not_found: { status: 404, type: 'not_found_error', code: 'unknown_provider' },
  request_timeout: { status: 408, type: 'invalid_request_error' },
  idempotency_key_in_use: { status: 409, type: 'invalid_request_error' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  idempotency_key_reused: { status: 422, type: 'invalid_request_error' },
  request_header_fields_too_large: { status: 431, type: 'invalid_request_error' },
  // Who is asking
  invalid_api_key: { status: 401, type: 'authentication_error' },
  invalid_admin_key: { status: 401, type: 'authentication_error' },
  admin_loopback_only: { status: 403, type: 'permission_error' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  passthrough_not_allowed: { status: 403, type: 'permission_error' },
  budget_exceeded: { status: 429, type: 'rate_limit_error' },
  caller_key_required: { status: 401, type: 'authentication_error' },
  lane_capacity_reserved: { status: 429, type: 'rate_limit_error' },
  // The providers
  upstream_rate_limited: { status: 429, type: 'rate_limit_error' },
  upstream_error: { status: 400, type: 'invalid_request_error' },
  all_providers_failed: { status: 502, type: 'server_error' },
  upstream_stream_error: { status: 502, type: 'server_error' },
  providers_unavailable: { status: 503, type: 'service_unavailable' },
  upstream_timeout: { status: 504, type: 'timeout_error' },
  // The gateway
  no_providers: { status: 503, type: 'service_unavailable' },
  gateway_saturated: { status: 503, type: 'service_unavailable' },
  shutting_down: { status: 503, type: 'service_unavailable' },
  internal_error: { status: 500, type: 'server_error' },
} as const satisfies Record<string, Entry>;

/** The name of a catalogue entry. */
export type ErrorCode = keyof typeof CATALOGUE;

/**
 * The error for a catalogue entry, with what happened in this case.
 *
 * @example
 * gatewayError('model_not_found', 'The model `x` is not served by any configured provider.', 'model');
 * // { status: 404, type: 'invalid_request_error', code: 'model_not_found', param: 'model', message: ... }
 */
export function gatewayError(name: ErrorCode, message: string, param: string | null = null, status?: number): ApiError {
  const e: Entry = CATALOGUE[name];
  return { status: status ?? e.status, type: e.type, code: e.code ?? name, param, message };
}

/**
 * The OpenAI error envelope: `{"error":{"message","type","param","code"}}`.
 *
 * @example
 * openAIErrorJson(gatewayError('internal_error', 'The gateway hit an internal error.'));
 */
export function openAIErrorJson(e: ApiError): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } });
}

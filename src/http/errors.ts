import type { ServerResponse } from 'node:http';

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error'
  | 'service_unavailable'
  | 'timeout_error';

export interface ApiError {
  status: number;
  message: string;
  type: ErrorType;
  code: string | null;
  param?: string | null;
}

/** The OpenAI error envelope: `{"error":{"message","type","param","code"}}`. */
export function errorJson(e: ApiError): string {
  return JSON.stringify({ error: { message: e.message, type: e.type, param: e.param ?? null, code: e.code } });
}

export function writeError(res: ServerResponse, e: ApiError, headers: Record<string, string | number> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = errorJson(e);
  res.writeHead(e.status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

export const badRequest = (message: string, param: string | null = null, code: string | null = null): ApiError => ({
  status: 400,
  message,
  type: 'invalid_request_error',
  code,
  param,
});

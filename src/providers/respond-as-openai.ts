import type { Readable } from 'node:stream';
import { readBody } from './body-readers.js';
import type { UpstreamResponse } from './types.js';
import { UpstreamBody } from './upstream-body.js';

/** An upstream answer translated into a JSON body (OpenAI shape). */
export function jsonUpstreamResponse(status: number, body: unknown, headers: UpstreamResponse['headers'] = {}): UpstreamResponse {
  return textUpstreamResponse(status, JSON.stringify(body), headers);
}

/** An upstream answer whose body is already written (a JSON text that was redacted, say). */
export function textUpstreamResponse(status: number, text: string, headers: UpstreamResponse['headers'] = {}): UpstreamResponse {
  return { status, headers, body: UpstreamBody.whole(Buffer.from(text)) };
}

/** Reads a whole (small) upstream body. */
export async function readText(body: Readable): Promise<string> {
  return (await readBody(body)).toString('utf8');
}

/** The OpenAI error `type` that fits an HTTP status. */
export function errorTypeFor(status: number): string {
  if (status === 400 || status === 404 || status === 413 || status === 422) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'service_unavailable_error';
  return 'server_error';
}

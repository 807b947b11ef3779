import type { ServerResponse } from 'node:http';
import { type ApiError, openAIErrorJson } from '../core/errors.js';

export type { ApiError, ErrorType } from '../core/errors.js';

/** The OpenAI error envelope of a gateway error (the HTTP front doors speak OpenAI's protocol). */
export const errorJson = openAIErrorJson;

/** Answers with an error in the OpenAI envelope; a response already begun is only ended. */
export function writeError(res: ServerResponse, e: ApiError, headers: Record<string, string | number> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const body = errorJson(e);
  res.writeHead(e.status, Object.assign({}, headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }));
  res.end(body);
}

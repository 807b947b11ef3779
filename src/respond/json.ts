import type { ServerResponse } from 'node:http';

/**
 * Sends an upstream JSON answer as received: no re-serialisation. `headers` is the caller's own, fresh
 * object: the content type and length are set on it (no merged copy per answer).
 */
export function sendJson(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string | number>): void {
  headers['content-type'] = 'application/json';
  headers['content-length'] = body.length;
  res.writeHead(status, headers);
  res.end(body);
}

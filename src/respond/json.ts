import type { ServerResponse } from 'node:http';

/** Sends an upstream JSON answer as received: no re-serialisation. */
export function sendJson(res: ServerResponse, status: number, body: Buffer, headers: Record<string, string | number>): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': body.length });
  res.end(body);
}

import { Agent } from 'undici';

/**
 * One keep-alive connection pool per upstream origin (undici's Agent keeps a Pool per origin).
 * Shared by every provider so that two providers on one host share connections.
 */
export function createUpstreamAgent(): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connections: 256,
    pipelining: 1,
    // Timeouts are ours: the attempt loop aborts slow attempts, bodyTimeout is set per request.
    headersTimeout: 0,
    bodyTimeout: 0,
  });
}

/**
 * Bench child: the floor for any Node gateway. A node:http server that pipes each request to the
 * upstream over a keep-alive agent and pipes the answer back (status, headers, body). Nothing else.
 * No cap on upstream sockets (as in the gateway's agents), so a thousand concurrent streams are a
 * thousand upstream connections. `GET /bench/eld` is answered here: its event-loop delay (bench/eld.ts).
 * argv[2]: upstream port, argv[3]: own port (0 = any). Reports `{ type: 'ready', port }` over IPC.
 */
import { Agent, createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerEld, ELD_PATH } from './eld.js';

const upstreamPort = Number(process.argv[2]);
const ownPort = Number(process.argv[3] ?? '0');
if (!Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  console.error('bare-proxy: usage: bare-proxy.js <upstreamPort> [port]');
  process.exit(2);
}

const agent = new Agent({ keepAlive: true });
/** Hop-by-hop headers belong to one connection; Node sets its own on each side. */
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

function endToEnd(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP.has(k)) out[k] = v;
  return out;
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  if (req.method === 'GET' && req.url === ELD_PATH) return answerEld(res);
  const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path: req.url, headers: endToEnd(req.headers), agent }, (upRes) => {
    res.writeHead(upRes.statusCode ?? 502, endToEnd(upRes.headers));
    upRes.pipe(res);
  });
  up.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end();
  });
  req.pipe(up);
});

// The same accept queue as the gateway's (src/server.ts).
server.listen({ port: ownPort, host: '127.0.0.1', backlog: 4096 }, () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

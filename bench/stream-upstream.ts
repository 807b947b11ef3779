/**
 * Bench child: a streaming fake upstream for the concurrent-streams phase. `POST /v1/chat/completions`
 * answers a chat stream of `bench_chunks` events `bench_gap_ms` apart (body fields, which the gateway
 * forwards untouched; defaults 60 and 50). Event i is written at t0 + i * gap on an absolute schedule
 * (a late timer does not push the later events back); t0 is the arrival of the request, sent in the
 * first event as `bench_t0` (epoch ms, `performance.timeOrigin + performance.now()`, so the client can
 * compute each event's scheduled time on the same clock). The last event carries `finish_reason: stop`
 * and is followed by `[DONE]`. `GET /bench/eld`: this process's event-loop delay.
 * argv[2]: port (0 = any). Reports `{ type: 'ready', port }` over IPC; exits when the parent goes away.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerEld, ELD_PATH } from './eld.js';

const port = Number(process.argv[2] ?? '0');
const epochMs = (): number => performance.timeOrigin + performance.now();

function field(body: Record<string, unknown>, name: string, fallback: number): number {
  const v = body[name];
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : fallback;
}

function stream(res: ServerResponse, body: Record<string, unknown>): void {
  const t0 = epochMs();
  const start = performance.now();
  const chunks = Math.max(1, Math.round(field(body, 'bench_chunks', 60)));
  const gap = field(body, 'bench_gap_ms', 50);
  const model = typeof body.model === 'string' ? body.model : 'bench';
  const created = Math.floor(t0 / 1000);
  const head = `{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(model)},"choices":[{"index":0,"delta":`;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let i = 0;
  let timer: NodeJS.Timeout | undefined;
  const next = (): void => {
    if (res.destroyed) return;
    const last = i === chunks - 1;
    const delta = i === 0 ? `{"role":"assistant","content":"w0 "}` : `{"content":"w${i} "}`;
    const extra = i === 0 ? `,"bench_t0":${t0.toFixed(3)}` : '';
    res.write(`data: ${head}${delta},"logprobs":null,"finish_reason":${last ? '"stop"' : 'null'}}]${extra}}\n\n${last ? 'data: [DONE]\n\n' : ''}`);
    i += 1;
    if (last) {
      res.end();
      return;
    }
    timer = setTimeout(next, Math.max(0, start + i * gap - performance.now()));
  };
  res.once('close', () => clearTimeout(timer));
  next();
}

const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
  if (req.method === 'GET' && req.url === ELD_PATH) return answerEld(res);
  if (req.method === 'GET' && req.url?.startsWith('/v1/models')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"object":"list","data":[]}');
    return;
  }
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.on('end', () => {
    let body: Record<string, unknown> = {};
    try {
      const parsed: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
      if (typeof parsed === 'object' && parsed !== null) body = parsed as Record<string, unknown>;
    } catch {
      // not JSON: the defaults
    }
    if (req.url !== '/v1/chat/completions' || body.stream !== true) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"the streaming bench upstream serves chat streams only","type":"invalid_request_error"}}');
      return;
    }
    stream(res, body);
  });
});

// A deep accept queue (the kernel caps it at net.core.somaxconn): a thousand connections arriving in a
// burst must not be dropped and retried a second later by the fake upstream.
server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  process.send?.({ type: 'ready', port: (server.address() as AddressInfo).port });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));

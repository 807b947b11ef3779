import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from './config/load.js';
import { Gateway } from './gateway.js';
import { createRequestListener } from './http/app.js';
import { createLogger } from './telemetry/logger.js';

/** What a warm-up did. */
export interface WarmUpResult {
  /** Requests sent through the warm-up gateway, and how many of them did not come back whole. */
  requests: number;
  failed: number;
  ms: number;
}

/** The warm-up stops sending once this long has passed, however many requests are left (a slow machine). */
export const WARM_UP_MAX_MS = 10_000;
const IN_FLIGHT = 16;
const CONTENT_EVENTS = 4;
const PATH = '/v1/chat/completions';
const STREAM_BODY = JSON.stringify({ model: 'warm-up', messages: [{ role: 'user', content: 'warm up' }], stream: true, stream_options: { include_usage: true } });
const JSON_BODY = JSON.stringify({ model: 'warm-up', messages: [{ role: 'user', content: 'warm up' }] });

/**
 * Runs `requests` chat completions (three in four streamed) through a throwaway gateway in this
 * process, in front of a loopback provider that answers at once, before the real gateway listens. A
 * fresh process runs its request path in V8's interpreter until each function has run often enough to
 * be compiled: set-ups cost it 2-4x what they cost later, and a burst of streams arriving at a process
 * just started (clients reconnecting after a deploy) waits for that. Warmed here, the code the real
 * gateway runs is already compiled: the same modules, functions and classes, shared by both instances.
 * The throwaway gateway shares nothing else with the real one: its own config (one provider, memory
 * state, no Redis, none of the environment's variables), metrics without the process-wide collectors,
 * and its log lines, built at `logLevel` like the real ones, discarded. A failed request is counted; a
 * failure to set up rejects (startGateway logs it and serves on). Off by default
 * (`server.warm_up_requests: 0`): whole answers served after it cost 3-7% more CPU each (ab.js;
 * streams the same as without), the same with the client and provider in a child process, so the code
 * V8 compiles for the warm-up's mix serves traffic of another mix a little worse.
 *
 * @example
 * const { requests, failed, ms } = await warmUp(2000, 'info');
 */
export async function warmUp(requests: number, logLevel: string): Promise<WarmUpResult> {
  const started = performance.now();
  const upstream = await listenLoopback(createServer(answerChat));
  const text = [
    'server: { host: 127.0.0.1, port: 0 }',
    `logging: { level: ${logLevel} }`,
    'limits: { max_concurrent_requests: 100000 }',
    'providers:',
    `  - { name: warm-up, type: openai_compatible, base_url: "http://127.0.0.1:${upstream.port}/v1", api_key: warm-up, models: [warm-up] }`,
  ].join('\n');
  const loaded = parseConfig(text, '(warm-up)', { env: {} });
  const logger = createLogger(logLevel, { write: () => undefined });
  const gateway = await Gateway.create(loaded, { logger, runtimeMetrics: false });
  const door = await listenLoopback(createServer(createRequestListener(gateway)));
  let sent = 0;
  let failed = 0;
  const sender = async (): Promise<void> => {
    while (sent < requests && performance.now() - started < WARM_UP_MAX_MS) {
      sent += 1;
      if (!(await send(door.port, sent % 4 === 0 ? JSON_BODY : STREAM_BODY))) failed += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, requests) }, sender));
  } finally {
    await door.close();
    await gateway.close();
    await upstream.close();
  }
  return { requests: sent, failed, ms: performance.now() - started };
}

/** A server on a free loopback port, and how to close it with its connections. */
async function listenLoopback(server: Server): Promise<{ port: number; close(): Promise<void> }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * One request on a connection of its own, closed after it: a burst brings new connections, and a fresh
 * process pays for a connection's set-up as much as for a request's (with kept-alive connections the
 * warm-up saved nothing measurable in the streams bench's cold run). Only the ones in flight hold a port.
 * True when a 200 came back whole.
 */
function send(port: number, body: string): Promise<boolean> {
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: PATH, agent: false, headers }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode === 200));
      res.once('error', () => resolve(false));
    });
    req.once('error', () => resolve(false));
    req.end(body);
  });
}

/** The loopback provider: an OpenAI chat completion, whole or as a stream of a few events a tick apart. */
function answerChat(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.once('end', () => {
    const stream = Buffer.concat(parts).includes('"stream":true');
    const usage = '"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}';
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        `{"id":"chatcmpl-warm-up","object":"chat.completion","created":0,"model":"warm-up","choices":[{"index":0,"message":{"role":"assistant","content":"ready"},"finish_reason":"stop"}],${usage}}`,
      );
      return;
    }
    const chunk = (choices: string, extra = ''): string => `data: {"id":"chatcmpl-warm-up","object":"chat.completion.chunk","created":0,"model":"warm-up","choices":${choices}${extra}}\n\n`;
    const events = [
      chunk('[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]'),
      ...Array.from({ length: CONTENT_EVENTS }, (_, i) => chunk(`[{"index":0,"delta":{"content":"w${i} "},"finish_reason":null}]`)),
      chunk('[{"index":0,"delta":{},"finish_reason":"stop"}]'),
      chunk('[]', `,${usage}`),
      'data: [DONE]\n\n',
    ];
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    // One event per tick, so the gateway reads them one by one as it does a provider's.
    const next = (i: number): void => {
      if (res.destroyed) return;
      if (i === events.length) return void res.end();
      res.write(events[i]);
      setImmediate(next, i + 1);
    };
    next(0);
  });
}

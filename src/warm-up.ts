import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig } from './config/load.js';
import { answerBody, type SimAnswer, streamFrames } from './demo/wire.js';
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
  let gateway: Gateway | undefined;
  let door: Listening | undefined;
  let sent = 0;
  let failed = 0;
  try {
    const text = [
      'server: { host: 127.0.0.1, port: 0 }',
      `logging: { level: ${logLevel} }`,
      'limits: { max_concurrent_requests: 100000 }',
      'providers:',
      `  - { name: warm-up, type: openai_compatible, base_url: "http://127.0.0.1:${upstream.port}/v1", api_key: warm-up, models: [warm-up] }`,
    ].join('\n');
    const logger = createLogger(logLevel, { write: () => undefined });
    gateway = await Gateway.create(parseConfig(text, '(warm-up)', { env: {} }), { logger, runtimeMetrics: false });
    door = await listenLoopback(createServer(createRequestListener(gateway)));
    const port = door.port;
    const sender = async (): Promise<void> => {
      while (sent < requests && performance.now() - started < WARM_UP_MAX_MS) {
        sent += 1;
        if (!(await send(port, sent % 4 === 0 ? JSON_BODY : STREAM_BODY))) failed += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, requests) }, sender));
  } finally {
    await door?.close();
    await gateway?.close();
    await upstream.close();
  }
  return { requests: sent, failed, ms: performance.now() - started };
}

interface Listening {
  port: number;
  close(): Promise<void>;
}

/** A server on a free loopback port, and how to close it with its connections. */
async function listenLoopback(server: Server): Promise<Listening> {
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

/** The answer the loopback provider gives: a few words, so a stream is a handful of events. */
const ANSWER: SimAnswer = { id: 'chatcmpl-warm-up', model: 'warm-up', pieces: ['w0 ', 'w1 ', 'w2 ', 'w3 '], promptTokens: 3, completionTokens: 4 };

/** The loopback provider: an OpenAI chat completion (demo/wire.ts), whole or as a stream of events a tick apart. */
function answerChat(req: IncomingMessage, res: ServerResponse): void {
  const parts: Buffer[] = [];
  req.on('data', (b: Buffer) => parts.push(b));
  req.once('end', () => {
    const body = Buffer.concat(parts);
    if (!body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(answerBody('openai', ANSWER));
      return;
    }
    const events = streamFrames('openai', ANSWER, body.includes('"include_usage":true'));
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

/**
 * What an open stream holds for its life: not the caller's request, parsed or as bytes (its own, or the
 * copy sent upstream). Agents send long prompts and keep many answers streaming at once; a stream that
 * kept its request would hold every prompt for as long as its answer streams. Measured on the
 * JavaScript heap and in buffers with a prompt of 4 MB, far above what anything else there moves by,
 * behind an upstream that reads and drops what it is sent; the test's own client sends the prompt from
 * a stream, so that it holds none of it either.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullCollection as gc } from '../support/gc.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';

/** The JavaScript heap and the bytes of buffers, after full collections. */
async function heldBytes(): Promise<number> {
  await new Promise((r) => setImmediate(r));
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const PROMPT_BYTES = 4 * 1024 * 1024;

/** A streamed request with a long prompt at `door`, as a stream that lets go of its bytes once read. */
function longPromptRequest(door: Door): { path: string; headers: Record<string, string>; body: Readable } {
  const request: Record<string, unknown> = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x'.repeat(PROMPT_BYTES) }] };
  if (door === '/v1/messages') request.max_tokens = 10;
  let bytes: Buffer | undefined = Buffer.from(JSON.stringify(request));
  const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(bytes.length) };
  if (door === '/v1/messages') headers['anthropic-version'] = '2023-06-01';
  function* once(): Generator<Buffer> {
    const b = bytes!;
    bytes = undefined;
    yield b;
  }
  return { path: door, headers, body: Readable.from(once()) };
}

type Door = '/v1/chat/completions' | '/v1/messages';

const CASES: Array<{ door: Door; events: 'observed' | 'unobserved'; first: string }> = [
  { door: '/v1/chat/completions', events: 'unobserved', first: '"content":"hi"' },
  { door: '/v1/chat/completions', events: 'observed', first: '"content":"hi"' },
  { door: '/v1/messages', events: 'unobserved', first: 'event: message_start' },
];
const FIRST_EVENT = 'data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}\n\n';

describe('an open stream', () => {
  let upstream: Server;
  let gw: TestGateway;
  /** Resolved when the gateway has let go of the upstream answer at hand (its stream is over). */
  let upstreamClosed: Promise<void> = Promise.resolve();
  /** How the last request reached the upstream: its framing and the bytes that came. */
  let received: { contentLength: string | undefined; transferEncoding: string | undefined; bytes: number } | undefined;

  beforeAll(async () => {
    // Reads the request to its end and keeps nothing of it; answers with one event and stays open.
    upstream = createServer((req, res) => {
      upstreamClosed = new Promise((resolve) => res.once('close', resolve));
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      req.on('end', () => {
        received = { contentLength: req.headers['content-length'], transferEncoding: req.headers['transfer-encoding'], bytes };
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(FIRST_EVENT);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.address() as AddressInfo;
    gw = await startTestGateway(providersYaml([{ name: 'holding', url: `http://127.0.0.1:${port}/v1` }]));
  });
  afterAll(async () => {
    await gw.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  for (const { door, events, first: expected } of CASES) {
    it(`does not hold the caller's request while it streams (${door}, route events ${events})`, async () => {
      const listener = () => {};
      if (events === 'observed') gw.gateway.events.on('route', listener);
      const client = new Client(gw.url);
      try {
        const before = await heldBytes();
        const res = await client.request({ method: 'POST', ...longPromptRequest(door) });
        res.body.on('error', () => {});
        const first = await new Promise<string>((resolve) => res.body.once('data', (c: Buffer) => resolve(c.toString('utf8'))));
        expect(res.statusCode).toBe(200);
        expect(first).toContain(expected);
        // The prompt went upstream whole, with its length (not chunked), as a buffer's body goes.
        expect(received?.transferEncoding).toBeUndefined();
        expect(received?.bytes).toBeGreaterThan(PROMPT_BYTES);
        expect(Number(received?.contentLength)).toBe(received?.bytes);
        const held = (await heldBytes()) - before;
        expect(held).toBeLessThan(PROMPT_BYTES / 4);
      } finally {
        gw.gateway.events.off('route', listener);
        await client.destroy();
        // The client gone, the gateway cancels the upstream answer: the next test measures from there.
        await upstreamClosed;
      }
    });
  }
});

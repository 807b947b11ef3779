import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type BodyResult, readBody } from '../../src/http/read-body.js';

/** What readBody answered for one request, and the request's listeners right after. */
interface Read {
  result: BodyResult;
  listeners: Record<'data' | 'end' | 'error' | 'close', number>;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A node:http server that reads each request's body with `limit`, answers 200, and hands over what it read. */
async function reading(limit: number): Promise<{ port: number; next: () => Promise<Read>; started: Promise<void> }> {
  const reads: Read[] = [];
  const waiting: Array<(r: Read) => void> = [];
  let onStart = (): void => {};
  const started = new Promise<void>((r) => {
    onStart = r;
  });
  server = createServer(async (req: IncomingMessage, res) => {
    const pending = readBody(req, limit);
    onStart();
    const result = await pending;
    const listeners = { data: req.listenerCount('data'), end: req.listenerCount('end'), error: req.listenerCount('error'), close: req.listenerCount('close') };
    const read = { result, listeners };
    const w = waiting.shift();
    if (w) w(read);
    else reads.push(read);
    if (!res.destroyed) res.end(result.ok ? `${result.body.length}` : result.reason);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const next = () => {
    const ready = reads.shift();
    return ready ? Promise.resolve(ready) : new Promise<Read>((r) => waiting.push(r));
  };
  return { port, next, started };
}

function post(port: number, body: string | Buffer[]): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: typeof body === 'string' ? {} : { 'transfer-encoding': 'chunked' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (t: string) => {
        text += t;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else {
      for (const b of body) req.write(b);
      req.end();
    }
  });
}

const NONE = { data: 0, end: 0, error: 0, close: 0 };

describe('readBody', () => {
  it('reads a body sent in many chunks whole, and leaves no listener of its own on the request', async () => {
    const { port, next } = await reading(1_000);
    const parts = ['{"a":', '"é', 'è"', ',"b":[1,2,3]}'].map((s) => Buffer.from(s));
    const answer = await post(port, parts);
    const read = await next();
    expect(read.result).toEqual({ ok: true, body: Buffer.concat(parts) });
    expect(read.listeners).toEqual(NONE);
    expect(answer).toEqual({ status: 200, text: String(Buffer.concat(parts).length) });
  });

  it('refuses a body past the limit, declared or not, and still lets the connection answer', async () => {
    const { port, next } = await reading(10);
    expect((await post(port, 'x'.repeat(11))).text).toBe('too_large'); // declared by content-length
    expect((await next()).result).toEqual({ ok: false, reason: 'too_large' });
    const undeclared = await post(port, [Buffer.from('x'.repeat(8)), Buffer.from('x'.repeat(8))]);
    const read = await next();
    expect(read.result).toEqual({ ok: false, reason: 'too_large' });
    expect(read.listeners).toEqual(NONE);
    expect(undeclared).toEqual({ status: 200, text: 'too_large' });
  });

  it('answers aborted when the client goes away mid-body, with nothing left on the request', async () => {
    const { port, next, started } = await reading(1_000);
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((r) => socket.once('connect', () => r()));
    socket.write('POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{"half":');
    await started; // the handler is reading the body: now the client leaves
    socket.destroy();
    const read = await next();
    expect(read.result).toEqual({ ok: false, reason: 'aborted' });
    expect(read.listeners).toEqual(NONE);
  });

  it('keeps an empty body as an empty buffer', async () => {
    const { port, next } = await reading(1_000);
    await post(port, '');
    expect((await next()).result).toEqual({ ok: true, body: Buffer.alloc(0) });
  });
});

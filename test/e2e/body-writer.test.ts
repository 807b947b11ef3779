import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BodyWriter } from '../../src/respond/body-writer.js';

/** A node:http server whose handler gets a BodyWriter over each response. */
async function serving(handler: (body: BodyWriter, res: ServerResponse, req: IncomingMessage) => void): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(new BodyWriter(res), res, req));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A raw connection: what was sent, everything received as latin1 text. */
async function raw(port: number): Promise<{ socket: Socket; text: () => string; until: (s: string, from?: number) => Promise<string> }> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let received = '';
  const waiting: Array<() => void> = [];
  socket.on('data', (b: Buffer) => {
    received += b.toString('latin1');
    for (const w of waiting.splice(0)) w();
  });
  /** Everything received once `s` has come at or after `from`. */
  const until = (s: string, from = 0) =>
    new Promise<string>((resolve, reject) => {
      const check = () => (received.includes(s, from) ? resolve(received) : waiting.push(check));
      socket.once('close', () => (received.includes(s, from) ? resolve(received) : reject(new Error(`closed before ${JSON.stringify(s)}: ${received}`))));
      check();
    });
  return { socket, text: () => received, until };
}

/** The body of an HTTP/1.1 chunked response, decoded strictly: every size line must match its bytes. */
function dechunk(response: string): { chunks: string[]; ended: boolean; rest: string } {
  let at = response.indexOf('\r\n\r\n') + 4;
  const chunks: string[] = [];
  for (;;) {
    const lineEnd = response.indexOf('\r\n', at);
    const size = Number.parseInt(response.slice(at, lineEnd), 16);
    if (Number.isNaN(size)) throw new Error(`bad size line at ${at}: ${JSON.stringify(response.slice(at, at + 20))}`);
    const start = lineEnd + 2;
    if (size === 0) return { chunks, ended: response.slice(start, start + 2) === '\r\n', rest: response.slice(start + 2) };
    chunks.push(Buffer.from(response.slice(start, start + size), 'latin1').toString('utf8'));
    if (response.slice(start + size, start + size + 2) !== '\r\n') throw new Error(`chunk of ${size} bytes not followed by CRLF`);
    at = start + size + 2;
  }
}

const POST = (path = '/') => `POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}`;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

describe('BodyWriter', () => {
  it('writes each event as one well-formed chunk after the first, and the response ends and keeps its connection', async () => {
    let n = 0;
    const s = await serving((body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      body.write(`data: one of ${++n}\n\n`);
      body.write(Buffer.from('data: two\n\n'));
      body.write('data: é – ✓\n\n'); // multi-byte: the size line counts bytes, not characters
      body.write('');
      setImmediate(() => {
        body.write(Buffer.from('data: later\n\n'));
        res.end('data: [DONE]\n\n');
      });
    });
    server = s.server;
    const c = await raw(s.port);
    c.socket.write(POST());
    const first = await c.until('0\r\n\r\n');
    expect(first.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(first).toMatch(/transfer-encoding: chunked/i);
    const { chunks, ended, rest } = dechunk(first);
    expect(chunks.join('')).toBe('data: one of 1\n\ndata: two\n\ndata: é – ✓\n\ndata: later\n\ndata: [DONE]\n\n');
    expect(ended).toBe(true);
    expect(rest).toBe('');
    // The connection is reusable: a second request on it is answered whole.
    c.socket.write(POST());
    const both = await c.until('0\r\n\r\n', first.length);
    const second = dechunk(both.slice(first.length));
    expect(second.chunks.join('')).toBe('data: one of 2\n\ndata: two\n\ndata: é – ✓\n\ndata: later\n\ndata: [DONE]\n\n');
    expect(second.ended).toBe(true);
    c.socket.destroy();
  });

  it('writes through the response when the caller speaks HTTP/1.0 (no chunks): the raw bytes, then the connection closes', async () => {
    const s = await serving((body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      body.write('data: one\n\n');
      body.write('data: two\n\n');
      res.end();
    });
    server = s.server;
    const c = await raw(s.port);
    c.socket.write('POST / HTTP/1.0\r\ncontent-length: 2\r\n\r\n{}');
    await new Promise<void>((r) => c.socket.once('close', () => r()));
    const text = c.text();
    expect(text).not.toMatch(/transfer-encoding/i);
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('data: one\n\ndata: two\n\n');
  });

  it('keeps pipelined answers in order: a response waiting for its turn writes through itself', async () => {
    let n = 0;
    const s = await serving((body, res) => {
      const mine = ++n;
      res.writeHead(200);
      body.write(`first of ${mine}\n`);
      // The first answer ends a moment later, while the second is written before its turn.
      setTimeout(
        () => {
          body.write(`second of ${mine}\n`);
          res.end();
        },
        mine === 1 ? 50 : 0,
      );
    });
    server = s.server;
    const c = await raw(s.port);
    c.socket.write(POST('/1') + POST('/2'));
    await c.until('second of 2\n\r\n0\r\n\r\n');
    const firstEnd = c.text().indexOf('0\r\n\r\n') + 5;
    expect(dechunk(c.text()).chunks.join('')).toBe('first of 1\nsecond of 1\n');
    expect(dechunk(c.text().slice(firstEnd)).chunks.join('')).toBe('first of 2\nsecond of 2\n');
  });

  it('says when to wait for a reader that does not read, and calls back once the bytes went out', async () => {
    let told: (v: { writes: number; waiting: boolean; drained: Promise<void> }) => void = () => {};
    const outcome = new Promise<{ writes: number; waiting: boolean; drained: Promise<void> }>((r) => (told = r));
    const s = await serving((body, res) => {
      res.writeHead(200);
      body.write('start\n'); // through the response, with the headers
      const event = Buffer.alloc(64 * 1024, 0x61);
      let writes = 1;
      while (body.write(event)) writes += 1;
      const drained = new Promise<void>((r) => body.onDrain(() => r()));
      told({ writes, waiting: body.needsDrain, drained });
      void drained.then(() => res.end());
    });
    server = s.server;
    const c = await raw(s.port);
    c.socket.pause(); // reads nothing until the server has been told to wait
    c.socket.write(POST());
    const { writes, waiting, drained } = await outcome;
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(waiting).toBe(true);
    c.socket.resume();
    await drained;
    const text = await c.until('0\r\n\r\n');
    expect(dechunk(text).chunks.join('').length).toBe('start\n'.length + writes * 64 * 1024);
  });
});

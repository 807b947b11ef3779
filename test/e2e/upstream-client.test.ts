/**
 * The upstream client (`post` on undici's dispatch): what callers relied on with Node's own client, over
 * real loopback servers. Headers merged as Node merges them, bodies with backpressure, a caller's
 * cancel before and after the connection took the request, the idle timeout's code, a connection cut
 * mid-body, and a body destroyed by its reader closing the connection. The pure body and header parts
 * are tested without I/O first.
 */
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Socket, type Server as TcpServer } from 'node:net';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody, readChunks } from '../../src/providers/body-readers.js';
import { IDLE_TIMEOUT, post, UpstreamAgentPool } from '../../src/providers/http-client.js';
import { readText } from '../../src/providers/respond-as-openai.js';
import { buildConnector, Client } from '../../src/providers/undici-parts.js';
import { headersFromRaw, UpstreamBody } from '../../src/providers/upstream-body.js';
import { Cancel } from '../../src/routing/cancel.js';

const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

describe('headersFromRaw', () => {
  it('lower-cases names, keeps set-cookie as a list, the first of a single-valued field, and joins the rest', () => {
    const h = headersFromRaw(
      raw(
        'Content-Type',
        'application/json',
        'content-type',
        'text/plain',
        'Set-Cookie',
        'a=1',
        'set-cookie',
        'b=2',
        'X-RateLimit-Remaining',
        '5',
        'x-ratelimit-remaining',
        '4',
        'Retry-After',
        '3',
        'retry-after',
        '9',
      ),
    );
    expect(h).toEqual({ 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'], 'x-ratelimit-remaining': '5, 4', 'retry-after': '3' });
  });
});

/** A body whose upstream side is counted: how often it was resumed, and what aborted it. */
function countedBody(): { body: UpstreamBody; resumed: () => number; aborted: Error[] } {
  let resumed = 0;
  const aborted: Error[] = [];
  const body = new UpstreamBody(
    () => {
      resumed += 1;
    },
    (e) => aborted.push(e),
  );
  return { body, resumed: () => resumed, aborted };
}

describe('UpstreamBody', () => {
  it('reads what was pushed, ends on finish, and asks the upstream for more when read', async () => {
    const { body, resumed, aborted } = countedBody();
    body.read(); // a reader asking for data: the upstream's parser is resumed
    expect(resumed()).toBe(1);
    body.push(Buffer.from('he'));
    body.push(Buffer.from('llo'));
    body.finish();
    expect(await readText(body)).toBe('hello');
    expect(aborted).toEqual([]);
  });

  it('aborts the upstream once when destroyed before the end, and not after it', async () => {
    const early = countedBody();
    early.body.destroy();
    early.body.destroy();
    await once(early.body, 'close');
    expect(early.aborted).toHaveLength(1);
    const done = countedBody();
    done.body.finish();
    done.body.resume();
    await once(done.body, 'close');
    expect(done.aborted).toEqual([]);
  });

  it('gives a body nobody read whole: what came before, what comes after, only up to the limit kept', async () => {
    const { body, resumed } = countedBody();
    body.deliver(Buffer.from('{"a"'));
    const whole = body.collect(Number.POSITIVE_INFINITY);
    expect(whole).toBeDefined();
    expect(resumed()).toBe(0); // one small chunk did not pause the upstream: nothing to resume
    expect(body.deliver(Buffer.from(':1}'))).toBe(true);
    body.finish();
    expect((await whole!).toString()).toBe('{"a":1}');

    const capped = countedBody().body;
    capped.deliver(Buffer.from('abcdef'));
    capped.deliver(Buffer.from('ghij'));
    capped.finish();
    expect((await readBody(capped, 8)).toString()).toBe('abcdefgh');
    expect(await readText(UpstreamBody.whole(Buffer.from('done')))).toBe('done');
  });

  it('holds chunks that come before anyone reads, pausing the upstream past the high-water mark, and streams them once read', async () => {
    const { body, resumed } = countedBody();
    const big = Buffer.alloc(body.readableHighWaterMark, 0x61);
    expect(body.deliver(Buffer.from('x'))).toBe(true);
    expect(body.deliver(big)).toBe(false);
    expect(resumed()).toBe(0);
    body.finish();
    expect(body.collect(Number.POSITIVE_INFINITY)).toBeDefined(); // taken whole; a second reader gets nothing of it
    const streamed = countedBody();
    streamed.body.deliver(Buffer.from('he'));
    streamed.body.deliver(Buffer.from('llo'));
    streamed.body.finish();
    const chunks: string[] = [];
    for await (const c of streamed.body) chunks.push(String(c));
    expect(chunks.join('')).toBe('hello');
    expect(streamed.body.collect(10)).toBeUndefined(); // already read as a stream
  });

  it('hands chunks to a tap from its first resume, holds them while paused (pausing the upstream), and ends it once', () => {
    const { body, resumed, aborted } = countedBody();
    const got: string[] = [];
    let done = 0;
    body.whenDone(() => done++);
    body.deliver(Buffer.from('a'));
    const source = body.tap({ data: (c) => got.push(String(c)), end: () => got.push('END'), error: (e) => got.push(`ERR ${e.message}`) })!;
    expect(body.collect(1)).toBeUndefined(); // one reader only
    expect(got).toEqual([]); // paused until resumed
    source.resume();
    expect(got).toEqual(['a']);
    expect(body.deliver(Buffer.from('b'))).toBe(true);
    source.pause();
    expect(body.deliver(Buffer.from('c'))).toBe(false); // the upstream's parser waits
    source.resume();
    expect(resumed()).toBe(1); // woken once, after the pause
    source.pause();
    expect(body.deliver(Buffer.from('d'))).toBe(false);
    body.finish();
    expect(got).toEqual(['a', 'b', 'c']);
    expect(done).toBe(0);
    source.resume();
    expect(got).toEqual(['a', 'b', 'c', 'd', 'END']);
    expect(resumed()).toBe(1); // a complete answer needs nothing more from upstream
    expect(done).toBe(1);
    expect(aborted).toEqual([]);
  });

  it("gives a tap the upstream's failure, and aborts the upstream when the tap is destroyed before the end", async () => {
    const failed = countedBody();
    const seen: string[] = [];
    failed.body.tap({ data: () => undefined, end: () => seen.push('END'), error: (e) => seen.push(e.message) })!.resume();
    failed.body.fail(new Error('cut'));
    await new Promise((r) => process.nextTick(r)); // told on the next tick, as a Readable's error
    expect(seen).toEqual(['cut']);
    expect(failed.aborted).toEqual([]);

    const dropped = countedBody();
    let done = 0;
    dropped.body.whenDone(() => done++);
    const source = dropped.body.tap({ data: () => undefined, end: () => seen.push('late END'), error: () => seen.push('late ERR') })!;
    source.resume();
    source.destroy();
    dropped.body.deliver(Buffer.from('ignored'));
    dropped.body.finish();
    expect(dropped.aborted).toHaveLength(1);
    expect(done).toBe(1);
    expect(seen).toEqual(['cut']);
  });

  it('keeps a failure that comes before anyone reads for whoever reads, however they read, and gives up its slot', async () => {
    const cut = () => Object.assign(new Error('cut'), { code: 'HPE_INVALID_CHUNK_SIZE' });
    const whole = countedBody();
    let done = 0;
    whole.body.whenDone(() => done++);
    whole.body.deliver(Buffer.from('{"par'));
    whole.body.fail(cut());
    expect(done).toBe(1);
    await new Promise((r) => setTimeout(r, 5)); // an 'error' event nobody listened to would have ended the test run here
    await expect(readBody(whole.body)).rejects.toMatchObject({ code: 'HPE_INVALID_CHUNK_SIZE' });

    const tapped = countedBody().body;
    tapped.fail(cut());
    const told = new Promise<Error>((resolve) => tapped.tap({ data: () => undefined, end: () => undefined, error: resolve })!.resume());
    expect(await told).toMatchObject({ code: 'HPE_INVALID_CHUNK_SIZE' });

    const streamed = countedBody().body;
    streamed.fail(cut());
    const failed = once(streamed, 'error');
    streamed.resume();
    expect((await failed)[0]).toMatchObject({ code: 'HPE_INVALID_CHUNK_SIZE' });
    expect(whole.aborted).toEqual([]);
  });

  it('reads any other Readable chunk by chunk through its events, paused until resumed', async () => {
    const got: string[] = [];
    const ended = new Promise<void>((resolve) => {
      const source = readChunks(Readable.from([Buffer.from('x'), Buffer.from('y')]), { data: (c) => got.push(String(c)), end: resolve, error: () => undefined });
      setImmediate(() => {
        expect(got).toEqual([]);
        source.resume();
      });
    });
    await ended;
    expect(got).toEqual(['x', 'y']);
  });

  it('rejects a whole-body read when the upstream fails before the end, without aborting it again', async () => {
    const { body, aborted } = countedBody();
    const whole = body.collect(Number.POSITIVE_INFINITY)!;
    body.deliver(Buffer.from('{"par'));
    body.fail(Object.assign(new Error('cut'), { code: 'ECONNRESET' }));
    await expect(whole).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect(aborted).toEqual([]);
  });

  it("hands the upstream's failure to the reader without aborting again", async () => {
    const { body, aborted } = countedBody();
    const failed = once(body, 'error');
    body.fail(Object.assign(new Error('cut'), { code: 'ECONNRESET' }));
    const [err] = (await failed) as [Error & { code?: string }];
    expect(err.code).toBe('ECONNRESET');
    expect(aborted).toEqual([]);
  });
});

describe('undici parts', () => {
  it("are the very Client and buildConnector undici's index exports", async () => {
    const undici = await import('undici');
    expect(Client).toBe(undici.Client);
    expect(buildConnector).toBe(undici.buildConnector);
  });
});

describe('post', () => {
  let server: Server;
  let origin: URL;
  const pool = new UpstreamAgentPool();
  const sockets = new Set<Socket>();
  /** The server side of each connection a `/stall` request came on. */
  const stalled: Socket[] = [];
  /** What each path does; the default answers JSON. */
  const routes: Record<string, (res: ServerResponse) => void> = {
    '/json': (res) => {
      res.setHeader('set-cookie', ['a=1', 'b=2']);
      res.setHeader('x-ratelimit-remaining', '7');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    },
    '/big': (res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let sent = 0;
      const more = () => {
        while (sent < 64) {
          sent += 1;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
    },
    '/stall': (res) => {
      if (res.socket) stalled.push(res.socket);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n');
    },
    '/cut': (res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: 1\n\n', () => res.socket?.destroy());
    },
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.once('end', () => (routes[req.url ?? ''] ?? routes['/json']!)(res));
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address() as { port: number };
    origin = new URL(`http://127.0.0.1:${address.port}/v1`);
  });

  afterAll(async () => {
    pool.destroy();
    for (const s of sockets) s.destroy();
    server.close();
  });

  const call = (path: string, cancel = new Cancel(), idleTimeoutMs = 0) =>
    post({ agents: pool, origin: origin.origin, path, headers: { 'content-type': 'application/json' }, body: '{}', cancel, idleTimeoutMs });

  it("gives status, Node-style headers and the body, and sends the body's length", async () => {
    const res = await call('/json');
    expect(res.status).toBe(200);
    expect(res.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(res.headers['x-ratelimit-remaining']).toBe('7');
    expect(await readText(res.body)).toBe('{"ok":true}');
  });

  it('reads a 4 MB body whole through a reader that pauses (backpressure, nothing lost)', async () => {
    const res = await call('/big');
    let size = 0;
    res.body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      res.body.pause();
      setImmediate(() => res.body.resume());
    });
    await once(res.body, 'end');
    expect(size).toBe(64 * 64 * 1024);
  });

  it('rejects at once when cancelled before the connection took the request (a TLS handshake that never ends)', async () => {
    const silent: TcpServer = createTcpServer((s) => sockets.add(s));
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const cancel = new Cancel();
    const port = (silent.address() as { port: number }).port;
    const sent = post({ agents: pool, origin: `https://127.0.0.1:${port}`, path: '/v1/x', headers: {}, body: '{}', cancel, idleTimeoutMs: 0 });
    setImmediate(() => cancel.abort('gone'));
    await expect(sent).rejects.toMatchObject({ code: 'ABORTED' });
    silent.close();
  });

  it('rejects a call cancelled before it starts with the reason', async () => {
    const cancel = new Cancel();
    cancel.abort('client left');
    await expect(call('/json', cancel)).rejects.toBe('client left');
  });

  it('ends a body that stays silent past the idle timeout with the idle timeout code', async () => {
    const res = await call('/stall', new Cancel(), 300);
    const failed = once(res.body, 'error');
    res.body.resume();
    const [err] = (await failed) as [Error & { code?: string }];
    expect(err.code).toBe(IDLE_TIMEOUT);
  });

  it('reports a connection cut mid-body as a reset, as Node did', async () => {
    const res = await call('/cut');
    const failed = once(res.body, 'error');
    res.body.resume();
    const [err] = (await failed) as [Error & { code?: string }];
    expect(err.code).toBe('ECONNRESET');
  });

  it('closes the upstream connection when the reader destroys the body, and when cancel comes after the headers', async () => {
    const res = await call('/stall');
    const first = stalled.at(-1)!;
    const firstClosed = once(first, 'close');
    res.body.destroy();
    await firstClosed;
    const cancel = new Cancel();
    const second = await call('/stall', cancel);
    const secondSocket = stalled.at(-1)!;
    expect(secondSocket).not.toBe(first);
    const secondClosed = once(secondSocket, 'close');
    const failed = once(second.body, 'error');
    cancel.abort('client left');
    const [err] = (await failed) as [Error & { code?: string }];
    expect(err.code).toBe('ABORTED');
    await secondClosed;
    expect(secondSocket.destroyed).toBe(true);
  });
});

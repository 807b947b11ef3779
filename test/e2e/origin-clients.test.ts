/**
 * OriginClients over a real loopback server: a connection is reused once its request is over (the
 * most recently freed first), one is opened only when none is idle, a connection the server closed
 * or cut serves again (its client reconnects), and destroy fails what is in flight. undici hands a
 * connection back one event-loop turn after its answer ends (so that a server closing it after all is
 * seen first): the tests wait for that, as requests arriving from the network do.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OriginClients } from '../../src/providers/origin-clients.js';

interface Answer {
  status: number;
  body: string;
  /** The server's port number for the connection's client side: the same number, the same connection. */
  via: string;
}

/** One GET through `clients`, resolved with the whole answer, rejected with the transport error. */
function get(clients: OriginClients, path: string, extra: Record<string, unknown> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const parts: Buffer[] = [];
    let via = '';
    const handler: Dispatcher.DispatchHandlers = {
      onConnect: () => undefined,
      onHeaders: (s, raw) => {
        status = s;
        for (let i = 0; i + 1 < raw.length; i += 2) if (String(raw[i]).toLowerCase() === 'x-peer') via = String(raw[i + 1]);
        return true;
      },
      onData: (chunk) => {
        parts.push(chunk);
        return true;
      },
      onComplete: () => resolve({ status, body: Buffer.concat(parts).toString('utf8'), via }),
      onError: reject,
    };
    clients.dispatch({ path, method: 'GET', headers: {}, ...extra }, handler);
  });
}

/** Resolves once `done()` says so, looking once per event-loop turn. */
/** One more request answers 'ok' with a single connection open; the clients are destroyed after it. */
async function servesOnOneConnection(clients: OriginClients): Promise<Answer> {
  const after = await get(clients, '/');
  expect(after.body).toBe('ok');
  expect(clients.counts.open).toBe(1);
  clients.destroy();
  return after;
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((r) => setImmediate(r));
}

/** Resolves once `n` connections are idle (undici frees one a loop turn after its answer). */
const idle = (clients: OriginClients, n: number): Promise<void> => until(() => clients.counts.idle >= n);

describe('OriginClients', () => {
  let server: Server;
  let origin: string;
  const sockets = new Set<Socket>();
  /** Responses held open by `/hold`, answered by `release()`. */
  const held: ServerResponse[] = [];
  /** Requests that reached /elsewhere, where /redirect points. */
  let followed = 0;
  const release = () => {
    for (const res of held.splice(0)) res.end('released');
  };

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      res.setHeader('x-peer', String(req.socket.remotePort));
      if (req.url === '/hold') return void held.push(res);
      if (req.url === '/close') {
        res.setHeader('connection', 'close');
        return void res.end('closing');
      }
      if (req.url === '/cut') return void req.socket.destroy();
      if (req.url === '/redirect') {
        res.writeHead(307, { location: '/elsewhere' });
        return void res.end('moved');
      }
      if (req.url === '/elsewhere') followed += 1;
      res.end('ok');
    });
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    release();
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  const fresh = () => new OriginClients(origin, { pipelining: 1, keepAliveTimeout: 60_000 });

  it('hands a redirect back as the answer, even to a request that asks to follow it: no redirect step sits in front of a connection', async () => {
    const clients = fresh();
    const answer = await get(clients, '/redirect', { maxRedirections: 2 });
    expect([answer.status, answer.body]).toEqual([307, 'moved']);
    expect(followed).toBe(0);
    clients.destroy();
  });

  it('reuses one connection for requests one after another', async () => {
    const clients = fresh();
    const first = await get(clients, '/');
    await idle(clients, 1);
    const second = await get(clients, '/');
    await idle(clients, 1);
    const third = await get(clients, '/');
    await idle(clients, 1);
    expect([first.body, second.body, third.body]).toEqual(['ok', 'ok', 'ok']);
    expect(new Set([first.via, second.via, third.via]).size).toBe(1);
    expect(clients.counts).toEqual({ open: 1, idle: 1 });
    clients.destroy();
  });

  it('opens a connection per request in flight, then hands out the most recently freed', async () => {
    const clients = fresh();
    const pending = [get(clients, '/hold'), get(clients, '/hold'), get(clients, '/hold')];
    await until(() => held.length >= 3);
    expect(clients.counts).toEqual({ open: 3, idle: 0 });
    const [a, b, c] = held.splice(0) as [ServerResponse, ServerResponse, ServerResponse];
    const answers = await Promise.all([
      pending[0]!,
      pending[1]!,
      (async () => {
        a.end('a');
        await pending[0];
        b.end('b');
        await pending[1];
        c.end('c');
        return pending[2]!;
      })(),
    ]);
    expect(answers.map((x) => x.body)).toEqual(['a', 'b', 'c']);
    expect(new Set(answers.map((x) => x.via)).size).toBe(3);
    await idle(clients, 3);
    const next = await get(clients, '/');
    expect(next.via).toBe(answers[2]!.via);
    await idle(clients, 3);
    expect(clients.counts).toEqual({ open: 3, idle: 3 });
    clients.destroy();
  });

  it('serves again on a connection the server closed after its answer', async () => {
    const clients = fresh();
    const closing = await get(clients, '/close');
    expect(closing.body).toBe('closing');
    await idle(clients, 1);
    const after = await servesOnOneConnection(clients);
    expect(after.via).not.toBe(closing.via);
  });

  it('fails a request whose connection is cut, and serves the next one on a new connection', async () => {
    const clients = fresh();
    await expect(get(clients, '/cut')).rejects.toMatchObject({ code: 'UND_ERR_SOCKET' });
    await idle(clients, 1);
    await servesOnOneConnection(clients);
  });

  it('lets go of an idle connection that closes, and opens a new one when asked', async () => {
    const clients = fresh();
    await get(clients, '/');
    await idle(clients, 1);
    expect(clients.counts).toEqual({ open: 1, idle: 1 });
    for (const s of sockets) s.destroy(); // the server closes the idle connection
    await until(() => clients.counts.open === 0);
    expect(clients.counts).toEqual({ open: 0, idle: 0 });
    await servesOnOneConnection(clients);
  });

  it('fails what is in flight when destroyed, keeps nothing, and refuses later requests', async () => {
    const clients = fresh();
    const pending = get(clients, '/hold');
    await until(() => held.length >= 1);
    clients.destroy();
    await expect(pending).rejects.toBeInstanceOf(Error);
    expect(clients.counts).toEqual({ open: 0, idle: 0 });
    await expect(get(clients, '/')).rejects.toMatchObject({ code: 'UND_ERR_DESTROYED' });
    expect(clients.counts).toEqual({ open: 0, idle: 0 });
    release();
  });
});

import type { Dispatcher, Client as UndiciClient } from 'undici';
import { Client } from './undici-parts.js';

/** What `post` needs of an origin's connections: somewhere to dispatch a request. */
export interface OriginDispatcher {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): void;
}

/**
 * One origin's keep-alive connections: an undici client per connection, one request at a time each,
 * and the idle ones on a stack (the most recently used first, as Node's agents reuse sockets). Taking
 * a connection costs the same however many requests are in flight: undici's Pool looks for a free
 * client by walking all of them, in order, on every request, so with thousands of streams open each
 * new request paid for the walk (5,000 open streams more than doubled the CPU of a short request).
 * No cap: a client is opened whenever none is idle (see `max_connections` for providers that need one);
 * an idle one whose connection closes is dropped, so what a burst opened is let go once its
 * connections' keep-alive runs out (60 s by default, sooner when the server closes them).
 *
 * @example
 * const clients = new OriginClients('http://127.0.0.1:8080', { pipelining: 1, keepAliveTimeout: 60_000 });
 * clients.dispatch({ path: '/v1/chat/completions', method: 'POST', headers, body }, handler);
 */
export class OriginClients implements OriginDispatcher {
  /** Idle clients, the most recently freed last; may hold dropped ones, skipped when popped (isIdle says). */
  private idle: UndiciClient[] = [];
  private readonly isIdle = new Set<UndiciClient>();
  private readonly all = new Set<UndiciClient>();
  private destroyed = false;

  constructor(
    private readonly origin: string,
    private readonly options: UndiciClient.Options,
  ) {}

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): void {
    if (this.destroyed) {
      handler.onError?.(Object.assign(new Error('The upstream connections are closed (the gateway is stopping).'), { code: 'UND_ERR_DESTROYED' }));
      return;
    }
    let client = this.idle.pop();
    while (client && !this.isIdle.has(client)) client = this.idle.pop();
    if (client) this.isIdle.delete(client);
    else client = this.open();
    client.dispatch(options, handler);
  }

  /** Closes every connection at once; requests in flight fail, and so do later ones. */
  destroy(): void {
    this.destroyed = true;
    for (const client of this.all) client.destroy().catch(() => undefined);
    this.all.clear();
    this.idle = [];
    this.isIdle.clear();
  }

  /** Clients kept (each with its connection, or reconnecting on its next request), and how many are idle. */
  get counts(): { open: number; idle: number } {
    return { open: this.all.size, idle: this.isIdle.size };
  }

  private open(): UndiciClient {
    const client = new Client(this.origin, this.options);
    // undici puts a redirect-following step in front of every client's dispatch: a closure and a bound
    // dispatch kept for the connection's life, and a call per request. Upstream calls never follow
    // redirects (no request sets maxRedirections), so the client dispatches directly. (Its setter, not
    // the `interceptors` option, which undici 6 warns is deprecated.)
    (client as UndiciClient & { interceptors: unknown[] }).interceptors = [];
    this.all.add(client);
    // 'drain': its request is over (answered, failed or cut) and it takes another. A client whose
    // connection closed meanwhile connects again on its next request.
    client.on('drain', () => {
      if (this.isIdle.has(client) || !this.all.has(client)) return;
      this.isIdle.add(client);
      this.idle.push(client);
    });
    // An idle connection that closed (its keep-alive ran out, the server closed it) goes with its client:
    // a burst of thousands of streams leaves nothing behind once their connections time out.
    client.on('disconnect', () => {
      if (!this.isIdle.delete(client)) return;
      this.all.delete(client);
      client.destroy().catch(() => undefined);
      if (this.idle.length > 2 * this.isIdle.size + 64) this.idle = this.idle.filter((c) => this.isIdle.has(c));
    });
    return client;
  }
}

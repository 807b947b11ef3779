import type { Dispatcher, Client as UndiciClient } from 'undici';
import { Client } from './undici-parts.js';

/** What `post` needs of an origin's connections: somewhere to dispatch a request. */
export interface OriginDispatcher {
  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): void;
  destroy(): void;
}

/**
 * One origin's keep-alive connections: an undici client per connection, one request at a time each,
 * and the idle ones on a stack (the most recently used first, as Node's agents reuse sockets). Taking
 * a connection costs the same however many requests are in flight: undici's Pool looks for a free
 * client by walking all of them, in order, on every request, so with thousands of streams open each
 * new request paid for the walk (5,000 open streams more than doubled the CPU of a short request).
 * No cap: a client is opened whenever none is idle (see `max_connections` for providers that need one).
 *
 * @example
 * const clients = new OriginClients('http://127.0.0.1:8080', { pipelining: 1, keepAliveTimeout: 60_000 });
 * clients.dispatch({ path: '/v1/chat/completions', method: 'POST', headers, body }, handler);
 */
export class OriginClients implements OriginDispatcher {
  private readonly idle: UndiciClient[] = [];
  private readonly isIdle = new Set<UndiciClient>();
  private readonly all = new Set<UndiciClient>();

  constructor(
    private readonly origin: string,
    private readonly options: UndiciClient.Options,
  ) {}

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): void {
    let client = this.idle.pop();
    if (client) this.isIdle.delete(client);
    else client = this.open();
    client.dispatch(options, handler);
  }

  /** Closes every connection at once; requests in flight fail. */
  destroy(): void {
    for (const client of this.all) client.destroy().catch(() => undefined);
    this.all.clear();
    this.idle.length = 0;
    this.isIdle.clear();
  }

  /** Connections opened and not destroyed, and how many of them are idle (for tests). */
  get counts(): { open: number; idle: number } {
    return { open: this.all.size, idle: this.idle.length };
  }

  private open(): UndiciClient {
    const client = new Client(this.origin, this.options);
    this.all.add(client);
    // 'drain': its request is over (answered, failed or cut) and it takes another. A client whose
    // connection closed meanwhile connects again on its next request.
    client.on('drain', () => {
      if (this.isIdle.has(client) || !this.all.has(client)) return;
      this.isIdle.add(client);
      this.idle.push(client);
    });
    return client;
  }
}

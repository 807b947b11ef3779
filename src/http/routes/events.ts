import type { Hono } from 'hono';
import { gatewayError } from '../../core/errors.js';
import { type EventPayload, parseEventTypes, subscribe } from '../../core/webhooks.js';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../app.js';
import { errorJson } from '../errors.js';

/** A silent stream gets a comment this often, so proxies and clients keep it open. */
export const EVENTS_KEEPALIVE_MS = 15_000;
/** Events queued for a client that does not read: past this many, new ones are dropped for it. */
const MAX_BUFFERED = 1000;

const encoder = new TextEncoder();

/** One event as server-sent event text. */
export function sseFrame(p: EventPayload): string {
  return `event: ${p.type}\ndata: ${JSON.stringify(p)}\n\n`;
}

/**
 * `GET /admin/events` (behind the admin guard, so mounted after it): the gateway's events as server-sent
 * events, `event: <type>` and `data: {type, at, ...fields}`, a `: keep-alive` comment every 15 s, an optional
 * `?types=failover,breaker` filter (400 for an unknown type). The listeners go when the client does.
 *
 * @example
 * mountEvents(app, gateway); // curl -N localhost:8000/admin/events?types=failover,breaker
 */
export function mountEvents(app: Hono<AppEnv>, gateway: Gateway, keepAliveMs = EVENTS_KEEPALIVE_MS): void {
  app.get('/admin/events', (c) => {
    const types = parseEventTypes(c.req.query('types') ?? '');
    if (!types) {
      const msg = 'types must be a comma-separated list of: route, failover, breaker, success, failure.';
      return c.body(errorJson(gatewayError('invalid_request', msg, 'types')), 400, { 'content-type': 'application/json' });
    }
    let stop = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          if ((controller.desiredSize ?? 0) > -MAX_BUFFERED) controller.enqueue(encoder.encode(text));
        };
        const unsubscribe = subscribe(gateway.events, types, (p) => send(sseFrame(p)));
        const timer = setInterval(() => send(': keep-alive\n\n'), keepAliveMs);
        timer.unref();
        stop = () => {
          unsubscribe();
          clearInterval(timer);
        };
        send(': connected\n\n');
      },
      cancel() {
        stop();
      },
    });
    // The stream's cancel is the usual way out; a socket closed under it says the same.
    c.env.outgoing.once('close', () => stop());
    return new Response(stream, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' } });
  });
}

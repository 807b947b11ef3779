import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HttpBindings } from '@hono/node-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../src/http/app.js';
import { providersYaml, type TestGateway } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

interface Hook {
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** A webhook receiver: records every POST and answers with the queued statuses, then 200. */
class Receiver {
  readonly received: Hook[] = [];
  statuses: number[] = [];
  private readonly server: Server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      this.received.push({ body: JSON.parse(text) as Record<string, unknown>, headers: req.headers });
      res.writeHead(this.statuses.shift() ?? 200).end();
    });
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks/secret-token?t=abc`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  async waitFor(n: number, ms = 3000): Promise<Hook[]> {
    const until = Date.now() + ms;
    while (this.received.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    return this.received;
  }
}

interface Sse {
  event: string;
  data: Record<string, unknown>;
}

/** Reads server-sent events from `url` until `n` have come (or `ms` passed), then hangs up. */
function readEvents(url: string, init: RequestInit = {}) {
  const abort = new AbortController();
  const events: Sse[] = [];
  const ready = fetch(url, { ...init, signal: abort.signal });
  const reading = ready.then(async (res) => {
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(frame)?.[1];
          const data = /^data: (.*)$/m.exec(frame)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // aborted
    }
  });
  return {
    ready,
    events,
    async until(n: number, ms = 3000): Promise<Sse[]> {
      const end = Date.now() + ms;
      while (events.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      return events;
    },
    async close(): Promise<void> {
      abort.abort();
      await reading;
    },
  };
}

describe('events: GET /admin/events and webhooks', () => {
  const hooks = new Receiver();
  const ctx = useGateway(['alpha', 'beta']);
  beforeAll(() => hooks.start());
  afterAll(() => hooks.close());
  beforeEach(() => {
    hooks.received.length = 0;
    hooks.statuses = [];
  });

  const start = (extra = ''): Promise<TestGateway> =>
    ctx.startGateway(
      ({ alpha, beta }) =>
        providersYaml([
          { name: 'alpha', url: alpha.url },
          { name: 'beta', url: beta.url },
        ]) + `circuit_breaker: { failure_threshold: 1, cooldown_seconds: 30 }\n${extra}`,
    );
  const webhookYaml = (types = '') => `events:\n  retry_base_ms: 20\n  webhooks:\n    - url: "${hooks.url}"\n      headers: { authorization: Bearer hook-secret }\n${types}`;
  const failAlpha = async (gw: TestGateway) => {
    ctx.alpha.setDefault({ kind: 'status', status: 503 });
    const { response } = await gw.client().chat.completions.create(ask).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
  };

  it('streams failover then breaker events to an admin, and lets go when the client leaves', async () => {
    const gw = await start();
    const sse = readEvents(`${gw.url}/admin/events`);
    const res = await sse.ready;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    await failAlpha(gw);
    const events = await sse.until(5);
    const kinds = events.map((e) => e.event);
    expect(kinds).toContain('failover');
    expect(kinds).toContain('breaker');
    // alpha's failure opens its breaker as it is counted, before the request moves on to beta.
    expect(kinds.filter((k) => k === 'failover' || k === 'breaker')).toEqual(['breaker', 'failover']);
    const failover = events.find((e) => e.event === 'failover')!.data;
    expect(failover).toMatchObject({ type: 'failover', from: 'alpha', to: 'beta' });
    expect(new Date(String(failover.at)).toISOString()).toBe(failover.at);
    expect(events.find((e) => e.event === 'breaker')!.data).toMatchObject({ type: 'breaker', provider: 'alpha', from: 'closed', to: 'open' });
    expect(gw.gateway.events.listens('route')).toBe(true);
    await sse.close();
    const until = Date.now() + 2000;
    while (gw.gateway.events.listens('route') && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(gw.gateway.events.listens('route')).toBe(false);
  });

  it('filters by ?types= and refuses an unknown type', async () => {
    const gw = await start();
    const sse = readEvents(`${gw.url}/admin/events?types=breaker`);
    await sse.ready;
    await failAlpha(gw);
    await sse.until(1);
    await new Promise((r) => setTimeout(r, 50));
    await sse.close();
    expect(sse.events.map((e) => e.event)).toEqual(['breaker']);
    expect((await fetch(`${gw.url}/admin/events?types=breaker,nope`)).status).toBe(400);
  });

  it('is admin only: 401 without or with a wrong admin key, 403 for a remote client without admin keys', async () => {
    const gw = await start('auth: { admin_keys: [admin-secret] }\n');
    expect((await fetch(`${gw.url}/admin/events`)).status).toBe(401);
    expect((await fetch(`${gw.url}/admin/events`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const sse = readEvents(`${gw.url}/admin/events`, { headers: { authorization: 'Bearer admin-secret' } });
    expect((await sse.ready).status).toBe(200);
    await sse.close();

    const open = await start();
    const remote = { incoming: { socket: { remoteAddress: '203.0.113.9' }, headers: {} } } as unknown as HttpBindings;
    expect((await createApp(open.gateway).request('/admin/events', {}, remote)).status).toBe(403);
  });

  it('POSTs failover and breaker events to a webhook with a Slack-compatible text, and never logs its URL', async () => {
    const gw = await start(webhookYaml());
    await failAlpha(gw);
    const got = await hooks.waitFor(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(got.map((h) => h.body.type)).toEqual(['breaker', 'failover']);
    expect(got[1]!.body).toMatchObject({ from: 'alpha', to: 'beta', text: expect.stringContaining('switchyard: failover from alpha to beta') });
    expect(got[0]!.body).toMatchObject({ provider: 'alpha', text: 'switchyard: breaker for alpha closed -> open' });
    expect(got[0]!.headers.authorization).toBe('Bearer hook-secret');
    expect(JSON.stringify(got)).not.toContain('sk-alpha');
    expect(gw.logs.join('\n')).not.toContain('secret-token');
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_webhook_deliveries_total{result="success"} 2');
    expect(metrics).toContain('switchyard_webhook_dropped_total 0');
  });

  it('retries a webhook answering 500 until it takes the event', async () => {
    const gw = await start(webhookYaml('      types: [breaker]\n'));
    hooks.statuses = [500, 500];
    await failAlpha(gw);
    const got = await hooks.waitFor(3);
    expect(got.map((h) => h.body.type)).toEqual(['breaker', 'breaker', 'breaker']);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_webhook_deliveries_total{result="success"} 1');
  });

  it('does not retry a 4xx, and logs the host only', async () => {
    const gw = await start(webhookYaml('      types: [breaker]\n'));
    hooks.statuses = [400];
    await failAlpha(gw);
    await hooks.waitFor(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(hooks.received).toHaveLength(1);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toContain('switchyard_webhook_deliveries_total{result="rejected"} 1');
    const line = gw.logs.find((l) => l.includes('webhook refused'));
    expect(line).toContain(new URL(hooks.url).host);
    expect(line).not.toContain('secret-token');
  });
});

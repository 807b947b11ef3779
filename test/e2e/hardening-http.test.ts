/**
 * The HTTP front as a hostile client and a busy operator tried it: slow clients, parser errors, odd
 * content types, model names no header can carry, and what public /health gives away.
 */
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { eventually } from '../support/redis-server.js';
import { useGateway } from '../support/scenario.js';

const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

/** A raw connection to the gateway: what it sent back, and when it closed. */
function rawClient(port: number): { socket: Socket; received: () => string; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (b: Buffer) => (text += b.toString('utf8')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received: () => text, closed };
}

/** Writes `text` one byte every `gapMs` until the socket closes (or the text runs out). */
async function trickle(socket: Socket, text: string, gapMs: number): Promise<void> {
  for (const ch of text) {
    if (socket.destroyed || !socket.writable) return;
    socket.write(ch);
    await new Promise((r) => setTimeout(r, gapMs));
  }
}

const envelope = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as { error: { type: string; code: string; message: string } };

describe('slow clients', () => {
  const ctx = useGateway(
    ['alpha'],
    ({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url }]) + 'server: { header_timeout_ms: 300, body_timeout_ms: 700 }\nlimits: { max_concurrent_requests: 2 }\n',
  );

  it('cuts off a client that sends its headers a byte at a time, with 408 in the envelope', async () => {
    const c = rawClient(ctx.gw.port);
    void trickle(c.socket, 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(200), 50);
    await c.closed;
    expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(envelope(c.received()).error.code).toBe('request_timeout');
  });

  it('does not count a request whose body is still arriving against the concurrency cap, and cuts it off in time', async () => {
    const body = JSON.stringify(ask);
    const slow = [0, 1, 2].map(() => {
      const c = rawClient(ctx.gw.port);
      c.socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
      void trickle(c.socket, body, 50);
      return c;
    });
    // Three slow senders and a cap of two: a normal request is still served.
    const r = await ctx.client().chat.completions.create(ask);
    expect(r.choices[0]?.message.content).toBe('Hello from alpha');
    await Promise.all(slow.map((c) => c.closed));
    for (const c of slow) expect(c.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(ctx.alpha.requests).toHaveLength(1);
  });
});

describe('requests the HTTP parser or the route refuses', () => {
  const ctx = useGateway(['alpha'], ({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url }]));

  const exchange = async (raw: string): Promise<string> => {
    const c = rawClient(ctx.gw.port);
    c.socket.write(raw);
    await c.closed;
    return c.received();
  };

  it('answers headers that are too large with 431 in the envelope', async () => {
    const text = await exchange(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(text).toMatch(/^HTTP\/1\.1 431 /);
    expect(envelope(text).error).toMatchObject({ type: 'invalid_request_error', code: 'request_header_fields_too_large' });
  });

  it('answers a broken request line with 400 in the envelope', async () => {
    const text = await exchange('THIS IS NOT HTTP\r\n\r\n');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(envelope(text).error.code).toBe('bad_request');
  });

  it('refuses a body declared as something other than JSON with 415', async () => {
    const r = await fetch(`${ctx.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify(ask) });
    expect(r.status).toBe(415);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('unsupported_media_type');
    expect(ctx.alpha.requests).toHaveLength(0);
  });

  it('takes a body without a content type, or with a JSON one and parameters, as JSON', async () => {
    for (const headers of [{}, { 'content-type': 'application/json; charset=utf-8' }, { 'content-type': 'application/vnd.api+json' }] as Array<Record<string, string>>) {
      // Bytes, not a string: fetch would declare a string text/plain.
      const r = await fetch(`${ctx.gw.url}/v1/chat/completions`, { method: 'POST', headers, body: Buffer.from(JSON.stringify(ask)) });
      expect(r.status).toBe(200);
    }
  });

  it('refuses an absurdly long model name up front, naming the field', async () => {
    const r = await fetch(`${ctx.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...ask, model: 'm'.repeat(20_000) }) });
    expect(r.status).toBe(400);
    const e = ((await r.json()) as { error: { param: string; message: string } }).error;
    expect(e.param).toBe('model');
    expect(e.message.length).toBeLessThan(300);
    expect(ctx.alpha.requests).toHaveLength(0);
  });
});

describe('model names that are not valid in a header', () => {
  const ctx = useGateway(['alpha'], ({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url }]) + 'circuit_breaker: { failure_threshold: 1, cooldown_seconds: 0.1 }\n');
  const names = ['模型-中文', 'model-🎉', 'a\u0000b', 'line\r\nx-injected: 1', '\u202Eevil', 'lone-\ud800-surrogate'];

  it.each(names)('serves %j with a header that encodes it, streamed and not', async (model) => {
    const client = ctx.client();
    const { data, response } = await client.chat.completions.create({ ...ask, model }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from alpha');
    expect(response.headers.get('x-switchyard-model')).toMatch(/^[\x20-\x7e]+$/);
    expect(response.headers.get('x-injected')).toBeNull();
    const stream = await client.chat.completions.create({ ...ask, model, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from alpha');
    expect(ctx.alpha.requests).toHaveLength(2);
  });

  it('serves a body that is not valid UTF-8 without a server error', async () => {
    const body = Buffer.concat([Buffer.from('{"model":"bad-'), Buffer.from([0xff, 0xfe]), Buffer.from(`","messages":[{"role":"user","content":"hi"}]}`)]);
    const r = await fetch(`${ctx.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-switchyard-model')).toBe('bad-%EF%BF%BD%EF%BF%BD');
  });

  it('settles a half-open probe that carried such a name, so the provider is not lost', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 500 });
    await expect(ctx.client().chat.completions.create(ask)).rejects.toThrow();
    const state = async () => ((await (await fetch(`${ctx.gw.url}/health`)).json()) as { providers: { alpha: { circuit: string } } }).providers.alpha.circuit;
    expect(await eventually(async () => (await state()) === 'half_open')).toBe(true);
    const r = await ctx.client().chat.completions.create({ ...ask, model: '模型' });
    expect(r.choices[0]?.message.content).toBe('Hello from alpha');
    expect(await state()).toBe('closed');
  });
});

describe('public and admin health', () => {
  const ctx = useGateway(['alpha'], ({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url }]) + 'auth: { admin_keys: [admin-secret] }\n');

  it('shows a load balancer the status and circuits only; an admin key sees the config too', async () => {
    const pub = (await (await fetch(`${ctx.gw.url}/health`)).json()) as Record<string, unknown>;
    expect(Object.keys(pub).sort()).toEqual(['mode', 'providers', 'status', 'uptime_seconds']);
    expect(JSON.stringify(pub)).not.toContain('inline');
    const auth = { authorization: 'Bearer admin-secret' };
    const detailed = (await (await fetch(`${ctx.gw.url}/health`, { headers: auth })).json()) as { config: { source: string } };
    expect(detailed.config.source).toBe('(inline)');
    const admin = (await (await fetch(`${ctx.gw.url}/admin/health`, { headers: auth })).json()) as { config: { source: string } };
    expect(admin.config.source).toBe('(inline)');
    expect((await fetch(`${ctx.gw.url}/admin/health`)).status).toBe(401);
  });
});

/**
 * An upstream whose response headers and a broken body come in one packet: undici reports the body's
 * failure before the gateway has had a turn to read it. The failure must reach the reader (a failover),
 * never surface as an 'error' nobody listens to (which would end the process).
 */
import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

/** Headers, then a chunk size that is not hex, in one write. */
const broken = (contentType: string) => `HTTP/1.1 200 OK\r\ncontent-type: ${contentType}\r\ntransfer-encoding: chunked\r\n\r\nZZZ\r\nnot a chunk\r\n`;

describe('an upstream whose headers and broken body arrive together', () => {
  const ctx = useGateway(['beta']);
  let raw: Server;
  let url = '';
  const sockets = new Set<Socket>();
  let answered = 0;

  beforeAll(async () => {
    raw = createServer((s) => {
      sockets.add(s);
      s.once('data', (d) => {
        answered += 1;
        s.write(broken(d.toString('latin1').includes('"stream":true') ? 'text/event-stream' : 'application/json'));
      });
    });
    raw.listen(0, '127.0.0.1');
    await once(raw, 'listening');
    url = `http://127.0.0.1:${(raw.address() as { port: number }).port}/v1`;
  });

  afterAll(() => {
    for (const s of sockets) s.destroy();
    raw.close();
  });

  it('fails over from it, for a whole answer and for a stream, and the gateway lives on', async () => {
    const gw = await ctx.startGateway(({ beta }) =>
      providersYaml([
        { name: 'broken', url },
        { name: 'beta', url: beta.url },
      ]),
    );
    const { data, response } = await gw.client().chat.completions.create(ask).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(data.choices[0]?.message.content).toBe('Hello from beta');

    const stream = await gw.client().chat.completions.create({ ...ask, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text.length).toBeGreaterThan(0);
    expect(answered).toBeGreaterThanOrEqual(2); // both went to it first
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });
});

/**
 * A provider's `max_connections`: past it, the next candidate serves at once (no silent queue), the
 * attempt says why, and a metric counts it; the provider takes requests again once one ends.
 */
import { describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { eventually } from '../support/redis-server.js';
import { useGateway } from '../support/scenario.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('max_connections', () => {
  const ctx = useGateway(['alpha', 'beta'], ({ alpha, beta }) =>
    providersYaml([
      { name: 'alpha', url: alpha.url, extra: '    max_connections: 1\n' },
      { name: 'beta', url: beta.url },
    ]),
  );

  it('frees the slot once a whole answer has been read: one request after another all go to the provider', async () => {
    for (let i = 0; i < 3; i++) {
      const { response } = await ctx.client().chat.completions.create(ask).withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
    }
    const metrics = await (await fetch(`${ctx.gw.url}/metrics`)).text();
    expect(metrics).not.toMatch(/^switchyard_upstream_saturated_total\{provider="alpha"\}/m);
  });

  it('sends the request past the limit to the next provider at once, counts it, and frees the slot when the stream ends', async () => {
    ctx.alpha.enqueue({ kind: 'ok', chunkDelayMs: 100, text: 'a long answer in many words' });
    const first = await ctx.client().chat.completions.create({ ...ask, stream: true });
    const reading = (async () => {
      let text = '';
      for await (const c of first) text += c.choices[0]?.delta.content ?? '';
      return text;
    })();

    const { data, response } = await ctx.client().chat.completions.create(ask).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(data.choices[0]?.message.content).toBe('Hello from beta');
    expect(ctx.alpha.requests).toHaveLength(1);
    const metrics = await (await fetch(`${ctx.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_upstream_saturated_total\{provider="alpha"\} 1$/m);

    expect(await reading).toBe('a long answer in many words');
    expect(
      await eventually(async () => {
        const { response: r } = await ctx.client().chat.completions.create(ask).withResponse();
        return r.headers.get('x-switchyard-provider') === 'alpha';
      }),
    ).toBe(true);
  });

  it('says why in the error when every candidate is at its limit', async () => {
    ctx.alpha.enqueue({ kind: 'ok', chunkDelayMs: 100, text: 'one two three four' });
    const first = await ctx.client().chat.completions.create({ ...ask, stream: true });
    const pinned = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchyard-provider': 'alpha', 'x-switchyard-fallback': 'false' },
      body: JSON.stringify(ask),
    });
    expect(pinned.status).toBe(502);
    expect(((await pinned.json()) as { error: { message: string } }).error.message).toMatch(/alpha \(m\): not sent: alpha is at its max_connections \(1\)/);
    for await (const _ of first) {
      // drain
    }
  });
});

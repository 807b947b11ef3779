import { describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

describe('proxying through the gateway with the openai SDK', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url, extra: '    models: [gpt-4o-mini, gpt-4o]\n    pricing: { gpt-4o-mini: { input: 0.15, output: 0.6 } }\n' },
        { name: 'beta', url: beta.url, extra: '    default_model: beta-large\n    models: [beta-large]\n' },
      ]) + 'routing: { fallback_chain: [alpha, beta] }\n',
  );

  it('serves a chat completion and says who served it', async () => {
    const { data, response } = await ctx
      .client()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from alpha');
    expect(data.usage?.total_tokens).toBe(17);
    expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(response.headers.get('x-switchyard-model')).toBe('gpt-4o-mini');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it('forwards unknown fields untouched, sends the provider key and never the client key', async () => {
    await ctx.client({ apiKey: 'client-secret-xyz' }).chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'hi' }],
      // @ts-expect-error: a field the gateway does not know
      vendor_extension: { keep: [1, 2, 3] },
      temperature: 0.3,
    });
    const got = ctx.alpha.requests[0]!;
    expect(got.body.vendor_extension).toEqual({ keep: [1, 2, 3] });
    expect(got.body.temperature).toBe(0.3);
    expect(got.body.model).toBe('gpt-4o');
    expect(got.headers.authorization).toBe('Bearer sk-alpha-secret-0123456789');
    expect(JSON.stringify(got.headers)).not.toContain('client-secret-xyz');
  });

  it('keeps the caller’s x-request-id and passes it upstream', async () => {
    const { response } = await ctx
      .client()
      .chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'trace-abc-123' } })
      .withResponse();
    expect(response.headers.get('x-request-id')).toBe('trace-abc-123');
    expect(ctx.alpha.requests[0]!.headers['x-request-id']).toBe('trace-abc-123');
  });

  it('sends default_model to a provider that does not serve the requested model', async () => {
    ctx.alpha.setDefault({ kind: 'status', status: 503 });
    const { data, response } = await ctx
      .client()
      .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from beta');
    expect(ctx.beta.requests[0]!.body.model).toBe('beta-large');
    expect(response.headers.get('x-switchyard-model')).toBe('beta-large');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('streams chunk by chunk and ends cleanly', async () => {
    const stream = await ctx.client().chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: number | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage.total_tokens;
    }
    expect(text).toBe('Hello from alpha');
    expect(chunks).toBeGreaterThanOrEqual(5);
    expect(usage).toBe(17);
  });

  it('delivers each chunk as it arrives, not at the end', async () => {
    ctx.alpha.setDefault({ kind: 'ok', chunkDelayMs: 150, text: 'one two three' });
    const res = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstText = new TextDecoder().decode(first.value);
    // The first read holds the role chunk alone: later words are still being "generated" upstream.
    expect(firstText).toContain('"role":"assistant"');
    expect(firstText).not.toContain('three');
    let rest = '';
    for (;;) {
      const r = await reader.read();
      if (r.done) break;
      rest += new TextDecoder().decode(r.value);
    }
    expect(rest).toContain('three');
    expect(rest.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('serves legacy completions, streaming and not', async () => {
    const c = await ctx.client().completions.create({ model: 'gpt-4o-mini', prompt: 'Say hi' });
    expect(c.choices[0]?.text).toBe('Hello from alpha');
    expect(ctx.alpha.requests[0]!.path).toBe('/v1/completions');
    const s = await ctx.client().completions.create({ model: 'gpt-4o-mini', prompt: 'Say hi', stream: true });
    let text = '';
    for await (const chunk of s) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('Hello from alpha');
  });

  it('lists the models it can serve', async () => {
    const models = [];
    for await (const m of ctx.client().models.list()) models.push(m.id);
    expect(models.sort()).toEqual(['beta-large', 'gpt-4o', 'gpt-4o-mini']);
  });

  it('answers a model no provider serves with 404 model_not_found', async () => {
    const onlyListed = await ctx.startGateway(({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url, extra: '    models: [gpt-4o]\n' }]));
    const err = await onlyListed
      .client()
      .chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((e) => e);
    expect(err.constructor.name).toBe('NotFoundError');
    expect(err.status).toBe(404);
    expect(err.code).toBe('model_not_found');
    expect(ctx.alpha.requests).toHaveLength(0);
  });
});

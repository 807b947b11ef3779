/**
 * The Responses API passed through natively to `openai` providers: the caller's bytes go up as they are,
 * the provider's own answer and event stream come back untouched (it stores the response itself), and
 * the same request fails over to a provider of another type through the chat pivot.
 */
import { describe, expect, it } from 'vitest';
import { useGateway } from '../support/scenario.js';

describe('Responses to an openai provider, natively', () => {
  const ctx = useGateway(
    ['native', 'compat'],
    ({ native, compat }) =>
      `providers:\n  - name: native\n    type: openai\n    base_url: ${native.url}\n    api_key: sk-native-0123456789\n    models: [gpt-4o]\n  - name: compat\n    type: openai_compatible\n    base_url: ${compat.url}\n    api_key: sk-compat-0123456789\n` +
      'circuit_breaker: { failure_threshold: 1000 }\n',
  );

  it('sends the caller bytes as they are and answers with the provider own response', async () => {
    const body = { model: 'gpt-4o', input: 'hi', x_vendor_field: { keep: true } };
    const { data, response } = await ctx
      .client()
      .responses.create(body as never)
      .withResponse();
    expect(data.id).toMatch(/^resp_native_/);
    expect(data.output_text).toBe('Hello natively from native');
    expect(response.headers.get('x-switchyard-provider')).toBe('native');
    expect(ctx.native.requests).toHaveLength(1);
    expect(ctx.native.requests[0]).toMatchObject({ path: '/v1/responses', body });
  });

  it('passes the provider event stream through untouched', async () => {
    const stream = ctx.client().responses.stream({ model: 'gpt-4o', input: 'hi' });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    const final = await stream.finalResponse();
    expect(types).toEqual(['response.created', 'response.output_item.added', 'response.content_part.added', 'response.output_text.delta', 'response.completed']);
    expect(final.output_text).toBe('Hello natively from native');
  });

  it('fails over to a provider of another type through the chat pivot', async () => {
    ctx.native.enqueue({ kind: 'status', status: 503 });
    const { data, response } = await ctx.client().responses.create({ model: 'gpt-4o', input: 'hi' }).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('compat');
    expect(data.output_text).toBe('Hello from compat');
    expect(ctx.compat.requests[0]?.path).toBe('/v1/chat/completions');
  });

  it('fails over before the first event, and ends a cut native stream with one error event', async () => {
    ctx.native.enqueue({ kind: 'raw', writes: ['event: error\ndata: {"type":"error","message":"overloaded"}\n\n'] });
    const { response } = await ctx.client().responses.create({ model: 'gpt-4o', input: 'hi', stream: true }).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('compat');
    ctx.native.enqueue({ kind: 'truncate_after_chunks', chunks: 4 });
    const raw = await fetch(`${ctx.gw.url}/v1/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o', input: 'hi', stream: true }) });
    const text = await raw.text();
    expect(text).toContain('response.output_text.delta');
    expect(text.match(/^event: error$/gm)).toHaveLength(1);
    expect(text).not.toContain('response.completed');
  });

  it('retrieves a response the provider stored, through the pass-through', async () => {
    const created = await ctx.client().responses.create({ model: 'gpt-4o', input: 'hi' });
    const again = await ctx.client().responses.retrieve(created.id);
    expect(again.id).toBe(created.id);
    expect(again.output_text).toBe('Hello natively from native');
  });
});

describe("top_k and OpenAI's own API", () => {
  const ctx = useGateway(['native'], ({ native }) => `providers:\n  - name: native\n    type: openai\n    base_url: ${native.url}\n    api_key: sk-native-0123456789\n`);

  it('leaves top_k out of a translated Messages request to an openai provider (its API refuses it)', async () => {
    const r = await fetch(`${ctx.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'gpt-4o', max_tokens: 10, top_k: 5, temperature: 0.2, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    const sent = ctx.native.requests.at(-1)!.body;
    expect(sent.temperature).toBe(0.2);
    expect('top_k' in sent).toBe(false);
  });
});

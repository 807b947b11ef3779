/**
 * The OpenAI surface beyond chat: embeddings routed like chat (strategies, breakers, failover,
 * accounting) and the model list, with models the gateway knows from config, from aliases and from the
 * providers' own lists, driven through the official SDK.
 */
import { describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway } from '../support/harness.js';
import { eventually } from '../support/redis-server.js';
import { useGateway } from '../support/scenario.js';

describe('embeddings', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url },
        { name: 'beta', url: beta.url },
      ]) + 'circuit_breaker: { failure_threshold: 1000 }\n',
  );

  it('embeds a string and a list of strings, base64 (the SDK default) and float, with usage', async () => {
    const client = ctx.client();
    const one = await client.embeddings.create({ model: 'text-embedding-3-small', input: 'hello world' });
    expect(one.data).toHaveLength(1);
    expect(one.data[0]!.embedding).toEqual([0, 0.5, 0.5, 0.5]);
    expect(one.usage.prompt_tokens).toBe(2);
    const many = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['a', 'b', 'c'], encoding_format: 'float', dimensions: 2 });
    expect(many.data.map((d) => d.embedding)).toEqual([
      [0, 0.5],
      [1, 0.5],
      [2, 0.5],
    ]);
    expect(ctx.alpha.requests.map((r) => r.path)).toEqual(['/v1/embeddings', '/v1/embeddings']);
    expect(ctx.alpha.requests[0]!.body.encoding_format).toBe('base64');
  });

  it('takes token arrays as input', async () => {
    const r = await ctx.client().embeddings.create({
      model: 'e',
      input: [
        [1, 2, 3],
        [4, 5],
      ],
      encoding_format: 'float',
    });
    expect(r.data).toHaveLength(2);
    expect(r.usage.prompt_tokens).toBe(5);
  });

  it('fails over like chat, and says who served', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 503 });
    const { data, response } = await ctx.client().embeddings.create({ model: 'e', input: 'x', encoding_format: 'float' }).withResponse();
    expect(data.data).toHaveLength(1);
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('counts embedding tokens in /stats', async () => {
    await ctx.client().embeddings.create({ model: 'e', input: 'one two three', encoding_format: 'float' });
    const stats = (await (await fetch(`${ctx.gw.url}/stats`)).json()) as { providers: { alpha: { tokens?: { prompt?: number } } } };
    expect(JSON.stringify(stats.providers.alpha)).toMatch(/"prompt(_tokens|Tokens)?":\s*[1-9]/);
  });

  it('refuses an embeddings request without input, naming the field', async () => {
    const r = await fetch(`${ctx.gw.url}/v1/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'e' }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { param: string } }).error.param).toBe('input');
  });
});

describe('embeddings skip providers that cannot embed', () => {
  it('routes past a provider whose protocol has no embeddings', async () => {
    const anthropic = await FakeAnthropic.start('claude');
    const openai = await FakeUpstream.start('gpt');
    const gw = await startTestGateway(
      `providers:\n  - name: claude\n    type: anthropic\n    base_url: ${anthropic.url}\n    api_key: sk-ant-0123456789\n  - name: gpt\n    type: openai_compatible\n    base_url: ${openai.url}\n    api_key: sk-gpt-0123456789\n`,
    );
    try {
      const { response } = await gw.client().embeddings.create({ model: 'e', input: 'x' }).withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe('gpt');
      expect(response.headers.get('x-switchyard-attempts')).toBe('1');
      expect(anthropic.requests).toHaveLength(0);
    } finally {
      await gw.close();
      await anthropic.close();
      await openai.close();
    }
  });
});

describe('models', () => {
  const s = useGateway(['alpha', 'beta']);
  const yaml = () =>
    `providers:\n  - name: alpha\n    type: openai_compatible\n    base_url: ${s.alpha.url}\n    models: [m-one, m-two, "glob-*"]\n  - name: beta\n    type: openai\n    base_url: ${s.beta.url}\n    api_key: sk-beta-0123456789\n` +
    'models:\n  fast: [ { provider: alpha, model: m-one }, { provider: beta, model: listed-1 } ]\n';

  it('lists config names, aliases and what providers without a list list themselves', async () => {
    s.beta.listed = ['listed-1', 'org/listed:2'];
    const gw = await s.startGateway(yaml());
    const ids = async () => (await gw.client().models.list()).data.map((m) => m.id).sort();
    expect(await eventually(async () => (await ids()).includes('org/listed:2'))).toBe(true);
    expect(await ids()).toEqual(['fast', 'listed-1', 'm-one', 'm-two', 'org/listed:2']);
    const page = (await (await fetch(`${gw.url}/v1/models`)).json()) as { data: Array<{ id: string; object: string; owned_by: string; providers: string[]; created: number }> };
    expect(page.data.find((m) => m.id === 'fast')).toMatchObject({ object: 'model', owned_by: 'alpha', providers: ['alpha', 'beta'] });
    expect(typeof page.data[0]!.created).toBe('number');
  });

  it('retrieves one model, ids with ":" and "/" included', async () => {
    s.beta.listed = ['org/listed:2'];
    const gw = await s.startGateway(yaml());
    expect(await eventually(async () => (await gw.client().models.list()).data.some((m) => m.id === 'org/listed:2'))).toBe(true);
    const m = await gw.client().models.retrieve('org/listed:2');
    expect(m).toMatchObject({ id: 'org/listed:2', object: 'model', owned_by: 'beta' });
    expect((await gw.client().models.retrieve('m-two')).owned_by).toBe('alpha');
  });

  it('asks an openai provider about an id it does not know, else answers 404 model_not_found', async () => {
    const gw = await s.startGateway(yaml());
    s.beta.listed = ['ft:gpt-4o-mini:acme::abc123'];
    const m = await gw.client().models.retrieve('ft:gpt-4o-mini:acme::abc123');
    expect(m.id).toBe('ft:gpt-4o-mini:acme::abc123');
    const err = await gw
      .client()
      .models.retrieve('no-such-model')
      .catch((e: unknown) => e as { status: number; code: string });
    expect(err).toMatchObject({ status: 404, code: 'model_not_found' });
  });
});

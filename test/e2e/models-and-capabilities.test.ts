import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { eventually } from '../support/redis-server.js';
import { useGateway } from '../support/scenario.js';

type ApiError = InstanceType<typeof OpenAI.APIError>;
const hi = [{ role: 'user' as const, content: 'hi' }];

describe('model aliases, capabilities and context-length failover', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        {
          name: 'alpha',
          url: alpha.url,
          extra: '    models: [claude-opus, claude-sonnet, small-*]\n    capabilities: { vision: false, context_window: 1000 }\n    model_capabilities: { claude-opus: { vision: true } }\n',
        },
        { name: 'beta', url: beta.url, extra: '    models: [gpt-4o, small-*]\n    capabilities: { tools: false, context_window: 100000 }\n' },
      ]) +
      'models:\n  claude-best:\n    - { provider: alpha, model: claude-opus }\n    - { provider: alpha, model: claude-sonnet }\n    - { provider: beta, model: gpt-4o }\n  fast: [ { provider: beta, model: gpt-4o } ]\n' +
      'circuit_breaker: { failure_threshold: 100 }\n',
  );

  it('serves an alias from its first target and says so', async () => {
    const { data, response } = await ctx.client().chat.completions.create({ model: 'claude-best', messages: hi }).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from alpha');
    expect(ctx.alpha.requests[0]!.body.model).toBe('claude-opus');
    expect(response.headers.get('x-switchyard-model')).toBe('claude-opus');
    expect(response.headers.get('x-switchyard-model-fallback')).toBeNull();
  });

  it('falls back through the alias targets in order: model, then provider', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 404 }, { kind: 'status', status: 503 });
    const { response } = await ctx.client().chat.completions.create({ model: 'claude-best', messages: hi }).withResponse();
    expect(ctx.alpha.requests.map((r) => r.body.model)).toEqual(['claude-opus', 'claude-sonnet']);
    expect(ctx.beta.requests[0]!.body.model).toBe('gpt-4o');
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-model')).toBe('gpt-4o');
    expect(response.headers.get('x-switchyard-model-fallback')).toBe('true');
    expect(response.headers.get('x-switchyard-attempts')).toBe('3');
  });

  it('lists aliases and real models, not patterns', async () => {
    const ids: string[] = [];
    for await (const m of ctx.client().models.list()) ids.push(m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude-best', 'fast', 'claude-opus', 'gpt-4o']));
    expect(ids.some((i) => i.includes('*'))).toBe(false);
  });

  it('matches model globs', async () => {
    const { response } = await ctx.client().chat.completions.create({ model: 'small-3', messages: hi }).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(ctx.alpha.requests[0]!.body.model).toBe('small-3');
  });

  it('skips candidates that cannot take images or tools instead of failing on them', async () => {
    const image = [
      {
        role: 'user' as const,
        content: [
          { type: 'text' as const, text: 'what?' },
          { type: 'image_url' as const, image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
    ];
    const { response } = await ctx.client().chat.completions.create({ model: 'small-1', messages: image }).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta'); // alpha declares vision: false
    expect(ctx.alpha.requests).toHaveLength(0);
    const viaOpus = await ctx.client().chat.completions.create({ model: 'claude-best', messages: image }).withResponse();
    expect(viaOpus.response.headers.get('x-switchyard-model')).toBe('claude-opus'); // the model entry says vision: true

    const tools = [{ type: 'function' as const, function: { name: 'f', parameters: { type: 'object', properties: {} } } }];
    const t = await ctx.client().chat.completions.create({ model: 'small-1', messages: hi, tools }).withResponse();
    expect(t.response.headers.get('x-switchyard-provider')).toBe('alpha'); // beta declares tools: false
    const err = (await ctx
      .client()
      .chat.completions.create({ model: 'small-1', messages: image, tools })
      .catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(400);
    expect(err.code).toBe('unsupported_by_providers');
    expect(err.message).toMatch(/image input and tools|tools and image input/);
  });

  it('skips a model whose context window the prompt cannot fit', async () => {
    const long = [{ role: 'user' as const, content: 'x'.repeat(8000) }]; // ~2000 tokens > alpha's 1000
    const { response } = await ctx.client().chat.completions.create({ model: 'small-1', messages: long }).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(ctx.alpha.requests).toHaveLength(0);
  });

  it('fails over to a larger window on a context-length error', async () => {
    ctx.alpha.enqueue({
      kind: 'status',
      status: 400,
      body: JSON.stringify({ error: { message: "This model's maximum context length is 1000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } }),
    });
    const { response } = await ctx.client().chat.completions.create({ model: 'small-1', messages: hi }).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    const health = (await (await fetch(`${ctx.gw.url}/health`)).json()) as { providers: Record<string, { circuit: string }> };
    expect(health.providers.alpha!.circuit).toBe('closed');
  });
});

describe('status pages', () => {
  let page: Server;
  let pageUrl: string;
  let indicator = 'none';

  beforeAll(async () => {
    page = createServer((_req, res) => {
      if (indicator === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>moved</html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ page: { id: 'x', name: 'Alpha' }, status: { indicator, description: 'whatever' } }));
    });
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/api/v2/status.json`;
  });
  // Registered first, so it runs last: after the gateway and the fakes are closed.
  afterAll(async () => {
    await new Promise((r) => page.close(r));
  });

  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url, extra: `    status_page: ${pageUrl}\n` },
        { name: 'beta', url: beta.url },
      ]) + 'routing: { strategy: health }\nstatus_pages: { interval_seconds: 0.05 }\n',
    { reset: false },
  );

  const health = async () => (await (await fetch(`${ctx.gw.url}/admin/health`)).json()) as { status: string; providers: Record<string, { status_page?: string }> };
  const servedBy = async () => (await ctx.client().chat.completions.create({ model: 'm', messages: hi }).withResponse()).response.headers.get('x-switchyard-provider');

  it('moves a provider back while its status page reports a major outage', async () => {
    expect(await eventually(async () => (await health()).providers.alpha!.status_page === 'none')).toBe(true);
    expect(await servedBy()).toBe('alpha');
    indicator = 'major';
    expect(await eventually(async () => (await health()).providers.alpha!.status_page === 'major')).toBe(true);
    expect((await health()).status).toBe('degraded');
    expect(await servedBy()).toBe('beta');
    expect(ctx.gw.logs.some((l) => l.includes('status page reports an outage'))).toBe(true);
    indicator = 'html'; // unreadable: unknown, not an outage
    expect(await eventually(async () => (await health()).providers.alpha!.status_page === 'unknown')).toBe(true);
    expect(await servedBy()).toBe('alpha');
    expect((await health()).status).toBe('ok');
  });
});

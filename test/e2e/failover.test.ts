import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { FakeUpstream, type Fault } from '../support/fake-upstream.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('failover across providers', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url, extra: '    timeout_ms: 300\n' },
        { name: 'beta', url: beta.url, extra: '    timeout_ms: 300\n' },
      ]) + 'circuit_breaker: { failure_threshold: 1000 }\nrouting: { max_retry_after_ms: 300 }\n',
  );

  const faults: Array<[string, Fault]> = [
    ['500', { kind: 'status', status: 500 }],
    ['502', { kind: 'status', status: 502 }],
    ['503 with a long Retry-After', { kind: 'status', status: 503, retryAfter: '30' }],
    ['504', { kind: 'status', status: 504 }],
    ['529 (overloaded)', { kind: 'status', status: 529 }],
    ['408', { kind: 'status', status: 408 }],
    ['429 with a long Retry-After', { kind: 'status', status: 429, retryAfter: '60' }],
    ['429 without Retry-After', { kind: 'status', status: 429 }],
    ['401 (the provider key is bad)', { kind: 'status', status: 401 }],
    ['403', { kind: 'status', status: 403 }],
    ['404 (model unknown upstream)', { kind: 'status', status: 404 }],
    ['a connection reset before the response', { kind: 'reset' }],
    ['a malformed JSON body', { kind: 'malformed' }],
    ['a delay past timeout_ms before headers', { kind: 'ok', delayMs: 2000 }],
  ];

  it.each(faults)('fails over on %s', async (_label, fault) => {
    ctx.alpha.enqueue(fault);
    const { data, response } = await ctx.client().chat.completions.create(ask).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from beta');
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(ctx.alpha.requests).toHaveLength(1);
  });

  it('fails over on a refused connection', async () => {
    const dead = await FakeUpstream.start('dead');
    const url = dead.url;
    await dead.close();
    const g = await ctx.startGateway(({ beta }) =>
      providersYaml([
        { name: 'dead', url },
        { name: 'beta', url: beta.url },
      ]),
    );
    const { data, response } = await g.client().chat.completions.create(ask).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it.each([
    [400, 'BadRequestError'],
    [422, 'UnprocessableEntityError'],
  ])('does not fail over on %i: the client gets the provider’s answer', async (status, errorClass) => {
    ctx.alpha.enqueue({
      kind: 'status',
      status,
      body: JSON.stringify({ error: { message: 'Invalid value for temperature', type: 'invalid_request_error', param: 'temperature', code: 'invalid_value' } }),
    });
    const err = await ctx
      .client()
      .chat.completions.create(ask)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).constructor.name).toBe(errorClass);
    expect((err as InstanceType<typeof OpenAI.APIError>).status).toBe(status);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_value');
    expect((err as InstanceType<typeof OpenAI.APIError>).headers?.get('x-switchyard-provider')).toBe('alpha');
    expect(ctx.beta.requests).toHaveLength(0);
  });

  it('waits for a short Retry-After and tries the same provider again', async () => {
    const solo = await ctx.startGateway(({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url }]) + 'routing: { max_retry_after_ms: 1000 }\n');
    ctx.alpha.enqueue({ kind: 'status', status: 429, retryAfter: '0.1' });
    const { data, response } = await solo.client().chat.completions.create(ask).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from alpha');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(ctx.alpha.requests).toHaveLength(2);
  });

  it('says what was tried when every provider fails (502)', async () => {
    ctx.alpha.setDefault({ kind: 'status', status: 500 });
    ctx.beta.setDefault({ kind: 'reset' });
    const err = (await ctx
      .client()
      .chat.completions.create(ask)
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.constructor.name).toBe('InternalServerError');
    expect(err.status).toBe(502);
    expect(err.code).toBe('all_providers_failed');
    expect(err.message).toMatch(/alpha \(gpt-4o-mini\): HTTP 500/);
    expect(err.message).toMatch(/beta \(gpt-4o-mini\): connection reset/);
    expect(err.headers?.get('x-switchyard-attempts')).toBe('2');
    expect(err.headers?.get('x-request-id')).toBeTruthy();
  });

  it('answers 429 with Retry-After when every provider is rate limiting', async () => {
    ctx.alpha.setDefault({ kind: 'status', status: 429, retryAfter: '20' });
    ctx.beta.setDefault({ kind: 'status', status: 429, retryAfter: '7' });
    const err = (await ctx
      .client()
      .chat.completions.create(ask)
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.constructor.name).toBe('RateLimitError');
    expect(err.headers?.get('retry-after')).toBe('7');
  });

  it('answers 504 when every provider times out', async () => {
    ctx.alpha.setDefault({ kind: 'hang' });
    ctx.beta.setDefault({ kind: 'ok', delayMs: 1000 });
    const err = (await ctx
      .client()
      .chat.completions.create(ask)
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(504);
    expect(err.message).toMatch(/timed out/);
  });

  it('stops at the overall request deadline', async () => {
    const g = await ctx.startGateway(
      ({ alpha, beta }) =>
        providersYaml([
          { name: 'alpha', url: alpha.url, extra: '    timeout_ms: 5000\n' },
          { name: 'beta', url: beta.url, extra: '    timeout_ms: 5000\n' },
        ]) + 'routing: { request_timeout_ms: 200 }\n',
    );
    ctx.alpha.setDefault({ kind: 'hang' });
    const err = (await g
      .client()
      .chat.completions.create(ask)
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err.status).toBe(504);
    expect(err.message).toMatch(/beta \(gpt-4o-mini\): skipped, request deadline passed/);
    expect(ctx.beta.requests).toHaveLength(0);
  });

  describe('streams', () => {
    const streamAsk = { ...ask, stream: true as const };

    async function collect(gwc: OpenAI) {
      const s = await gwc.chat.completions.create(streamAsk);
      let text = '';
      for await (const c of s) text += c.choices[0]?.delta.content ?? '';
      return text;
    }

    it.each<[string, Fault]>([
      ['a reset before the first chunk', { kind: 'reset_after_chunks', chunks: 0 }],
      ['a 503 before the stream starts', { kind: 'status', status: 503 }],
      ['a stream that ends before any data', { kind: 'truncate_after_chunks', chunks: 0 }],
      ['a first chunk later than timeout_ms', { kind: 'ok', delayMs: 2000 }],
    ])('fail over on %s', async (_label, fault) => {
      ctx.alpha.enqueue(fault);
      expect(await collect(ctx.client())).toBe('Hello from beta');
    });

    it.each<[string, Fault, string]>([
      ['a reset after the first chunks', { kind: 'reset_after_chunks', chunks: 2 }, 'Hello'],
      ['a clean end without [DONE]', { kind: 'truncate_after_chunks', chunks: 2 }, 'Hello'],
      ['silence between chunks past timeout_ms', { kind: 'ok', chunkDelayMs: 1500 }, ''],
    ])('end with an error event on %s, never silently', async (_label, fault, received) => {
      ctx.alpha.enqueue(fault);
      const before = ctx.gw.gateway.measurements.local.get('alpha')!.totals.failures;
      const s = await ctx.client().chat.completions.create(streamAsk);
      let text = '';
      const err = await (async () => {
        for await (const c of s) text += c.choices[0]?.delta.content ?? '';
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect((err as Error).message).toMatch(/upstream/i);
      expect(text).toBe(received);
      expect(ctx.beta.requests).toHaveLength(0);
      expect(ctx.gw.gateway.measurements.local.get('alpha')!.totals.failures).toBe(before + 1);
    });
  });
});

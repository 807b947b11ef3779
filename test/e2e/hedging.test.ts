/**
 * Hedged requests end to end through the openai SDK: the first provider hangs until its connection is
 * closed, the hedge serves, the fake sees the loser's connection close, the loser's breaker is not
 * penalised, and the budget caps how many hedges start.
 */
import { describe, expect, it } from 'vitest';
import { Switchyard } from '../../src/index.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const ask = (model = 'gpt-4o-mini') => ({ model, messages: [{ role: 'user' as const, content: 'hi' }] });

async function metric(url: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`switchyard_hedges_total{outcome="${outcome}"}`));
  return line ? Number(line.split(' ')[1]) : 0;
}

describe('hedged requests', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url, extra: '    timeout_ms: 100\n' },
        { name: 'beta', url: beta.url },
      ]) +
      `circuit_breaker: { failure_threshold: 1, cooldown_seconds: 60 }
routing:
  routes:
    gpt-4o-mini: { hedge: { after: 20, max_extra_percent: 100 } }
    budgeted: { hedge: { after: 20, max_extra_percent: 10 } }
`,
  );

  it('a stream: the hedge that answers first serves, and the slow first attempt is closed without blame', async () => {
    ctx.alpha.setDefault({ kind: 'hang' });
    const before = await metric(ctx.gw.url, 'won');
    const { data: stream, response } = await ctx
      .client()
      .chat.completions.create({ ...ask(), stream: true })
      .withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from beta');
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    await ctx.alpha.whenAbandoned();
    expect(ctx.alpha.abandoned).toEqual(['/v1/chat/completions']);
    // With a failure threshold of 1, one failure would have opened alpha's breaker.
    expect(ctx.gw.gateway.breakers.state('alpha')).toBe('closed');
    expect(await metric(ctx.gw.url, 'won')).toBe(before + 1);
  });

  it('a JSON answer: the same, and the caller can turn it off with x-switchyard-hedge: off', async () => {
    ctx.alpha.setDefault({ kind: 'hang' });
    const { data, response } = await ctx.client().chat.completions.create(ask()).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from beta');
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    await ctx.alpha.whenAbandoned();
    expect(ctx.gw.gateway.breakers.state('alpha')).toBe('closed');

    const started = await metric(ctx.gw.url, 'started');
    ctx.alpha.setDefault({ kind: 'ok' });
    ctx.alpha.enqueue({ kind: 'ok', delayMs: 60 });
    const off = await ctx
      .client()
      .chat.completions.create(ask(), { headers: { 'x-switchyard-hedge': 'off' } })
      .withResponse();
    expect(off.response.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(ctx.beta.requests).toHaveLength(1);
    expect(await metric(ctx.gw.url, 'started')).toBe(started);
  });

  it('refuses an x-switchyard-hedge it cannot read', async () => {
    const res = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-switchyard-hedge': 'soon' },
      body: JSON.stringify(ask()),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe('x-switchyard-hedge');
  });

  it('keeps hedges within max_extra_percent of the route’s requests', async () => {
    // alpha never answers: each request either hedges to beta at 20 ms or fails over when alpha's 100 ms run out.
    ctx.alpha.setDefault({ kind: 'hang' });
    await ctx.gw.gateway.breakers.reset('alpha');
    const started = await metric(ctx.gw.url, 'started');
    const served: string[] = [];
    for (let i = 0; i < 20; i++) {
      await ctx.gw.gateway.breakers.reset('alpha');
      const { response } = await ctx.client().chat.completions.create(ask('budgeted')).withResponse();
      served.push(response.headers.get('x-switchyard-provider') ?? '');
    }
    expect(served.every((p) => p === 'beta')).toBe(true);
    // 10% of 20 requests: the 10th and the 20th may hedge, no other.
    expect((await metric(ctx.gw.url, 'started')) - started).toBe(2);
  });

  it('after: p95 hedges once the provider is measured, at its measured p95', async () => {
    // A gateway of its own: measurements start from nothing.
    const gw = await ctx.startGateway(
      ({ alpha, beta }) =>
        providersYaml([
          { name: 'alpha', url: alpha.url, extra: '    timeout_ms: 5000\n' },
          { name: 'beta', url: beta.url },
        ]) + 'circuit_breaker: { failure_threshold: 1 }\nrouting: { hedge: { after: p95, max_extra_percent: 100 } }\n',
    );
    // Measured with hedging off (a fast answer a little over the p95 so far would otherwise race a hedge).
    for (let i = 0; i < 5; i++) await gw.client().chat.completions.create(ask(), { headers: { 'x-switchyard-hedge': 'off' } });
    expect(ctx.beta.requests).toHaveLength(0);
    const p95 = gw.gateway.providers.get('alpha')!.stats!.medians().p95;
    expect(p95).toBeLessThan(5000);
    // alpha now hangs: without the hedge it would answer nothing for 5 s and then fail over, opening its breaker.
    ctx.alpha.setDefault({ kind: 'hang' });
    const { response } = await gw.client().chat.completions.create(ask()).withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    await ctx.alpha.whenAbandoned();
    expect(gw.gateway.breakers.state('alpha')).toBe('closed');
    expect(await metric(gw.url, 'won')).toBe(1);
  });

  it('hedges a library call that asks for it', async () => {
    const switchyard = await Switchyard.create({
      config: {
        providers: [ctx.alpha, ctx.beta].map((u) => ({ name: u.name, type: 'openai_compatible', base_url: u.url, api_key: 'sk-x' })),
        routing: { hedge: { after: 20, max_extra_percent: 100 } },
      },
    });
    try {
      ctx.alpha.setDefault({ kind: 'hang' });
      const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
      expect(answer.routing.provider).toBe('beta');
      await ctx.alpha.whenAbandoned();
      ctx.alpha.setDefault({ kind: 'ok', delayMs: 60 });
      const off = await switchyard.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { hedge: 'off' });
      expect(off.routing.provider).toBe('alpha');
      expect(ctx.beta.requests).toHaveLength(1);
    } finally {
      await switchyard.close();
    }
  });
});

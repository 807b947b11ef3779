/**
 * Priority lanes and preferred providers end to end: the openai SDK against the gateway in front of fake
 * upstreams whose headroom is set by the `x-ratelimit-*` headers they answer with.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { ask, askFailing, metricValue } from '../support/ask.js';
import type { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const limits = (remaining: number, limit = 100) => ({ 'x-ratelimit-remaining-requests': String(remaining), 'x-ratelimit-limit-requests': String(limit) });

const lanesYaml = (f: Record<'alpha' | 'beta' | 'gamma', FakeUpstream>) =>
  providersYaml([
    { name: 'alpha', url: f.alpha.url, extra: '    tier: premium\n' },
    { name: 'beta', url: f.beta.url },
    { name: 'gamma', url: f.gamma.url },
  ]) +
  `routing:
  strategy: priority
  lanes:
    high: { reserve: 0.2 }
    low: { max_headroom_use: 0.5, avoid: [premium] }
circuit_breaker: { failure_threshold: 1000 }
`;

describe('priority lanes', () => {
  const ctx = useGateway(['alpha', 'beta', 'gamma']);

  it('low avoids the premium tier and providers with half their budget or less left; high and normal keep the order', async () => {
    const gw = await ctx.startGateway(lanesYaml);
    // Learn beta's headroom: 40 of 100 left (below the low lane's floor of 0.5).
    ctx.beta.enqueue({ kind: 'ok', headers: limits(40) });
    expect((await ask(gw, { 'x-switchyard-provider': 'beta' })).provider).toBe('beta');

    const low = await ask(gw, { 'x-switchyard-priority': 'low' });
    expect(low.provider).toBe('gamma');
    expect(low.attempts).toBe('1');
    expect((await ask(gw, { 'x-switchyard-priority': 'high' })).provider).toBe('alpha');
    expect((await ask(gw)).provider).toBe('alpha');
    expect((await ask(gw, { 'x-switchyard-priority': 'NORMAL' })).provider).toBe('alpha');
    expect(ctx.alpha.requests).toHaveLength(3);
    expect(ctx.gamma.requests).toHaveLength(1);
  });

  it('sheds low traffic with a 429 that says why when no provider has capacity it may use', async () => {
    const gw = await ctx.startGateway(lanesYaml);
    ctx.beta.enqueue({ kind: 'ok', headers: limits(40) });
    ctx.gamma.enqueue({ kind: 'ok', headers: limits(50) });
    await ask(gw, { 'x-switchyard-provider': 'beta' });
    await ask(gw, { 'x-switchyard-provider': 'gamma' });
    const sent = ctx.alpha.requests.length + ctx.beta.requests.length + ctx.gamma.requests.length;

    const err = await askFailing(gw, { 'x-switchyard-priority': 'low' });
    expect(err.status).toBe(429);
    expect(err.code).toBe('lane_capacity_reserved');
    expect(err.message).toContain('alpha (gpt-4o-mini): skipped, avoided by the low lane');
    expect(err.message).toContain("beta (gpt-4o-mini): skipped, capacity 0.4 is not above the low lane's floor 0.5");
    expect(err.message).toContain("gamma (gpt-4o-mini): skipped, capacity 0.5 is not above the low lane's floor 0.5");
    // Nothing was sent upstream for it; user-facing traffic is still served.
    expect(ctx.alpha.requests.length + ctx.beta.requests.length + ctx.gamma.requests.length).toBe(sent);
    expect((await ask(gw, { 'x-switchyard-priority': 'high' })).provider).toBe('alpha');

    expect(await metricValue(gw, 'switchyard_lane_requests_total{lane="low",result="shed"}')).toBe(1);
    expect(await metricValue(gw, 'switchyard_lane_requests_total{lane="high",result="routed"}')).toBe(1);
    expect(await metricValue(gw, 'switchyard_lane_requests_total{lane="normal",result="routed"}')).toBe(2);
  });

  it("normal traffic leaves the high lane's reserve for last; high traffic uses it", async () => {
    const gw = await ctx.startGateway(lanesYaml);
    // alpha has 10 of 100 left: inside the 0.2 reserve.
    ctx.alpha.enqueue({ kind: 'ok', headers: limits(10) });
    expect((await ask(gw)).provider).toBe('alpha');
    expect((await ask(gw)).provider).toBe('beta');
    expect((await ask(gw, { 'x-switchyard-priority': 'high' })).provider).toBe('alpha');
    // Still the last resort for normal traffic.
    ctx.beta.enqueue({ kind: 'status', status: 503 });
    ctx.gamma.enqueue({ kind: 'status', status: 503 });
    const r = await ask(gw);
    expect(r.provider).toBe('alpha');
    expect(r.attempts).toBe('3');
  });

  it('applies at the Anthropic Messages door too (the Anthropic SDK, translated to the fakes)', async () => {
    const gw = await ctx.startGateway(lanesYaml);
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'unused', maxRetries: 0 });
    const message = (priority: string) =>
      anthropic.messages.create({ model: 'gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-switchyard-priority': priority } }).withResponse();
    expect((await message('low')).response.headers.get('x-switchyard-provider')).toBe('beta');
    expect((await message('high')).response.headers.get('x-switchyard-provider')).toBe('alpha');
  });

  it('refuses an unknown priority with a 400 naming the header', async () => {
    const gw = await ctx.startGateway(lanesYaml);
    const err = await askFailing(gw, { 'x-switchyard-priority': 'urgent' });
    expect(err.status).toBe(400);
    expect(err.message).toContain('Unknown priority "urgent" in x-switchyard-priority');
    expect((err.error as { param?: string }).param).toBe('x-switchyard-priority');
  });
});

describe('priority lanes under a mode', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    (f) => providersYaml(Object.values(f).map((u) => ({ name: u.name, url: u.url }))) + 'modes:\n  batch:\n    routing: { lanes: { low: { avoid: [alpha] } } }\n',
  );

  it("a mode's lanes apply to the requests routed under it", async () => {
    expect((await ask(ctx.gw, { 'x-switchyard-priority': 'low' })).provider).toBe('alpha');
    expect((await ask(ctx.gw, { 'x-switchyard-priority': 'low', 'x-switchyard-mode': 'batch' })).provider).toBe('beta');
    expect((await ask(ctx.gw, { 'x-switchyard-priority': 'high', 'x-switchyard-mode': 'batch' })).provider).toBe('alpha');
  });
});

describe('x-switchyard-prefer', () => {
  const ctx = useGateway(['alpha', 'beta', 'gamma'], (f) => providersYaml(Object.values(f).map((u) => ({ name: u.name, url: u.url }))) + 'routing: { strategy: priority }\n');

  it('moves the listed providers to the front in that order, without removing the rest', async () => {
    expect((await ask(ctx.gw, { 'x-switchyard-prefer': 'gamma, beta' })).provider).toBe('gamma');
    ctx.gamma.enqueue({ kind: 'status', status: 500 });
    const second = await ask(ctx.gw, { 'x-switchyard-prefer': 'gamma,beta' });
    expect(second.provider).toBe('beta');
    expect(second.attempts).toBe('2');
    ctx.gamma.enqueue({ kind: 'status', status: 500 });
    ctx.beta.enqueue({ kind: 'status', status: 500 });
    const third = await ask(ctx.gw, { 'x-switchyard-prefer': 'gamma,beta' });
    expect(third.provider).toBe('alpha');
    expect(third.attempts).toBe('3');
  });

  it('a pin still wins over the preference', async () => {
    expect((await ask(ctx.gw, { 'x-switchyard-prefer': 'gamma', 'x-switchyard-provider': 'beta' })).provider).toBe('beta');
  });

  it('refuses an unknown provider name with a 400', async () => {
    const err = await askFailing(ctx.gw, { 'x-switchyard-prefer': 'gamma,nope' });
    expect(err.status).toBe(400);
    expect(err.message).toBe('400 Unknown provider "nope" in x-switchyard-prefer.');
  });
});

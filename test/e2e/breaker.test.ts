import { beforeEach, describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

describe('circuit breakers end to end', () => {
  let now = 1_000_000;
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url },
        { name: 'beta', url: beta.url },
      ]) + 'circuit_breaker: { failure_threshold: 3, cooldown_seconds: 30 }\n',
    { clock: () => now },
  );

  const served = async () => {
    const { response } = await ctx.client().chat.completions.create(ask).withResponse();
    return { provider: response.headers.get('x-switchyard-provider'), attempts: response.headers.get('x-switchyard-attempts') };
  };
  const health = async () => (await (await fetch(`${ctx.gw.url}/health`)).json()) as { status: string; providers: Record<string, { circuit: string }> };
  const metric = async (name: string) => {
    const text = await (await fetch(`${ctx.gw.url}/metrics`)).text();
    return text
      .split('\n')
      .find((l) => l.startsWith(name))
      ?.split(' ')[1];
  };

  beforeEach(async () => {
    await fetch(`${ctx.gw.url}/admin/circuit/alpha/reset`, { method: 'POST' });
  });

  async function tripAlpha() {
    ctx.alpha.setDefault({ kind: 'status', status: 503 });
    for (let i = 0; i < 3; i++) expect(await served()).toEqual({ provider: 'beta', attempts: '2' });
    expect(ctx.alpha.requests).toHaveLength(3);
  }

  it('opens after failure_threshold consecutive failures and then skips the provider', async () => {
    await tripAlpha();
    expect((await health()).providers.alpha!.circuit).toBe('open');
    expect((await health()).status).toBe('degraded');
    expect(await metric('switchyard_circuit_state{provider="alpha"}')).toBe('2');
    expect(await served()).toEqual({ provider: 'beta', attempts: '1' });
    expect(ctx.alpha.requests).toHaveLength(3);
  });

  it('lets one probe through after the cooldown and closes when it succeeds', async () => {
    await tripAlpha();
    ctx.alpha.setDefault({ kind: 'ok' });
    now += 29_000;
    expect(await served()).toEqual({ provider: 'beta', attempts: '1' });
    now += 1_000;
    expect((await health()).providers.alpha!.circuit).toBe('half_open');
    expect(await metric('switchyard_circuit_state{provider="alpha"}')).toBe('1');
    expect(await served()).toEqual({ provider: 'alpha', attempts: '1' });
    expect((await health()).providers.alpha!.circuit).toBe('closed');
    expect(await metric('switchyard_circuit_state{provider="alpha"}')).toBe('0');
  });

  it('admits a single probe while it is in flight; others skip the provider', async () => {
    await tripAlpha();
    now += 30_000;
    ctx.alpha.setDefault({ kind: 'ok', delayMs: 300 });
    const probe = served();
    await new Promise((r) => setTimeout(r, 50));
    expect(await served()).toEqual({ provider: 'beta', attempts: '1' });
    expect(await probe).toEqual({ provider: 'alpha', attempts: '1' });
    expect(ctx.alpha.requests).toHaveLength(4);
  });

  it('re-opens when the probe fails, for another full cooldown', async () => {
    await tripAlpha();
    now += 30_000;
    expect(await served()).toEqual({ provider: 'beta', attempts: '2' }); // the probe failed
    expect((await health()).providers.alpha!.circuit).toBe('open');
    now += 29_999;
    expect(await served()).toEqual({ provider: 'beta', attempts: '1' });
    expect(ctx.alpha.requests).toHaveLength(4);
  });

  it('closes on an operator reset', async () => {
    await tripAlpha();
    ctx.alpha.setDefault({ kind: 'ok' });
    const res = await fetch(`${ctx.gw.url}/admin/circuit/alpha/reset`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ provider: 'alpha', previous: 'open', circuit: 'closed' });
    expect(await served()).toEqual({ provider: 'alpha', attempts: '1' });
  });

  it('404s a reset of an unknown provider, in the error envelope', async () => {
    const res = await fetch(`${ctx.gw.url}/admin/circuit/nobody/reset`, { method: 'POST' });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_provider');
  });

  it('answers 503 with Retry-After when every breaker is open', async () => {
    ctx.alpha.setDefault({ kind: 'status', status: 500 });
    ctx.beta.setDefault({ kind: 'status', status: 500 });
    for (let i = 0; i < 3; i++)
      await ctx
        .client()
        .chat.completions.create(ask)
        .catch(() => undefined);
    const res = await fetch(`${ctx.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    const body = (await res.json()) as { error: { message: string; code: string } };
    expect(body.error.code).toBe('providers_unavailable');
    expect(body.error.message).toContain('alpha (m): skipped, circuit open');
    expect((await health()).status).toBe('unavailable');
    await fetch(`${ctx.gw.url}/admin/circuit/beta/reset`, { method: 'POST' });
  });

  it('does not let client errors (400) open the breaker', async () => {
    ctx.alpha.setDefault({ kind: 'status', status: 400 });
    for (let i = 0; i < 5; i++)
      await ctx
        .client()
        .chat.completions.create(ask)
        .catch(() => undefined);
    expect((await health()).providers.alpha!.circuit).toBe('closed');
    expect(ctx.beta.requests).toHaveLength(0);
  });

  it('counts a stream cut mid-way as a failure', async () => {
    ctx.alpha.setDefault({ kind: 'reset_after_chunks', chunks: 2 });
    for (let i = 0; i < 3; i++) {
      const s = await ctx.client().chat.completions.create({ ...ask, stream: true });
      await (async () => {
        for await (const _ of s) void _;
      })().catch(() => undefined);
    }
    expect((await health()).providers.alpha!.circuit).toBe('open');
  });
});

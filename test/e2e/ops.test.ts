import { beforeAll, describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const SECRET_A = 'sk-alpha-secret-0123456789';
const SECRET_B = 'sk-beta-secret-0123456789';
const PROMPT = 'my very private prompt text 4242';

describe('operations endpoints, metrics and logs', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url, extra: '    pricing: { m: { input: 1000000, output: 2000000 } }\n' },
        { name: 'beta', url: beta.url },
      ]) + 'auth: { keys: [client-secret-key] }\n',
    { reset: false },
  );

  beforeAll(async () => {
    const client = ctx.client({ apiKey: 'client-secret-key' });
    const ask = { model: 'm', messages: [{ role: 'user' as const, content: PROMPT }] };
    await client.chat.completions.create(ask);
    await client.chat.completions.create(ask);
    ctx.alpha.enqueue({ kind: 'status', status: 500, body: JSON.stringify({ error: { message: `Incorrect API key provided: ${SECRET_A}` } }) });
    await client.chat.completions.create(ask);
    const s = await client.chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
    for await (const _ of s) void _;
    ctx.alpha.enqueue({ kind: 'status', status: 401, body: JSON.stringify({ error: { message: `bad key ${SECRET_A}` } }) });
    ctx.beta.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { message: `rejected for key ${SECRET_B}`, type: 'invalid_request_error' } }) });
    await client.chat.completions.create(ask).catch(() => undefined);
  });

  it('/stats reports counts, latency percentiles, tokens and cost per provider', async () => {
    const stats = (await (await fetch(`${ctx.gw.url}/stats`)).json()) as {
      strategy: string;
      providers: Record<
        string,
        { requests: number; successes: number; failures: number; rejected: number; circuit: string; latency_ms: Record<string, number | null>; tokens: Record<string, number>; cost_usd: number }
      >;
    };
    expect(stats.strategy).toBe('priority');
    const alpha = stats.providers.alpha!;
    expect(alpha).toMatchObject({ requests: 5, successes: 3, failures: 2, rejected: 0, circuit: 'closed' });
    expect(alpha.latency_ms.p50).toBeGreaterThan(0);
    expect(alpha.latency_ms.p99).toBeGreaterThanOrEqual(alpha.latency_ms.p50!);
    // two JSON answers and one stream with include_usage, 12 prompt + 5 completion tokens each
    expect(alpha.tokens).toEqual({ prompt: 36, completion: 15, total: 51 });
    expect(alpha.cost_usd).toBeCloseTo(3 * (12 * 1 + 5 * 2), 6);
    expect(stats.providers.beta).toMatchObject({ requests: 2, successes: 1, failures: 0, rejected: 1 });
  });

  it('/usage groups requests, tokens and cost by provider or model', async () => {
    const byProvider = (await (await fetch(`${ctx.gw.url}/usage?period=today&group_by=provider`)).json()) as {
      source: string;
      usage: Record<string, { requests: number; prompt_tokens: number; cost_usd: number }>;
      total: { requests: number };
    };
    expect(byProvider.source).toBe('local');
    expect(byProvider.usage.alpha).toEqual({ requests: 3, prompt_tokens: 36, completion_tokens: 15, cost_usd: 66 });
    expect(byProvider.usage.beta!.requests).toBe(1);
    expect(byProvider.total.requests).toBe(4);
    const byModel = (await (await fetch(`${ctx.gw.url}/usage?period=all&group_by=model`)).json()) as { usage: Record<string, { requests: number }> };
    expect(byModel.usage.m!.requests).toBe(4);
    for (const q of ['period=year', 'group_by=colour']) {
      const res = await fetch(`${ctx.gw.url}/usage?${q}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
    }
  });

  it('/health lists every provider’s circuit', async () => {
    const res = await fetch(`${ctx.gw.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', providers: { alpha: { circuit: 'closed' }, beta: { circuit: 'closed' } } });
  });

  it('/metrics speaks the Prometheus text format with switchyard_ names', async () => {
    const res = await fetch(`${ctx.gw.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const line of [
      'switchyard_requests_total{provider="alpha",outcome="success"} 3',
      'switchyard_requests_total{provider="alpha",outcome="failure"} 2',
      'switchyard_requests_total{provider="beta",outcome="rejected"} 1',
      'switchyard_failovers_total{provider="alpha"} 2',
      'switchyard_circuit_state{provider="alpha"} 0',
      'switchyard_upstream_latency_seconds_count{provider="alpha"} 5',
      'switchyard_stream_first_chunk_seconds_count{provider="alpha"} 1',
      'switchyard_tokens_total{provider="alpha",model="m",kind="prompt"} 36',
      'switchyard_http_requests_total{route="chat/completions",status="200"} 4',
      'switchyard_http_requests_total{route="chat/completions",status="400"} 1',
    ]) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^switchyard_cost_usd_total\{provider="alpha",model="m"\} 66$/m);
    expect(text).toContain('switchyard_process_cpu_seconds_total');
    const names = text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(/[{ ]/)[0]!);
    expect(names.every((n) => n.startsWith('switchyard_'))).toBe(true);
  });

  it('logs one line per request with no prompt text and no keys', async () => {
    // One line per request on every route; the five proxied ones are those to check here.
    const requests = ctx.gw.logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === 'request' && l.path === '/v1/chat/completions');
    expect(requests).toHaveLength(5);
    expect(requests[0]).toMatchObject({ status: 200, provider: 'alpha', model: 'm', attempts: 1, promptTokens: 12 });
    expect(typeof requests[0]!.requestId).toBe('string');
    const all = ctx.gw.logs.join('\n');
    for (const secret of [SECRET_A, SECRET_B, 'client-secret-key', PROMPT]) expect(all).not.toContain(secret);
  });

  it('never echoes provider keys in error bodies passed to the client', async () => {
    ctx.beta.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { message: `rejected for key ${SECRET_B}`, type: 'invalid_request_error' } }) });
    ctx.alpha.enqueue({ kind: 'status', status: 503 });
    const res = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-secret-key' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('rejected for key [redacted]');
    expect(text).not.toContain(SECRET_B);
    const metrics = await (await fetch(`${ctx.gw.url}/metrics`)).text();
    const stats = await (await fetch(`${ctx.gw.url}/stats`)).text();
    for (const secret of [SECRET_A, SECRET_B, 'client-secret-key']) {
      expect(metrics).not.toContain(secret);
      expect(stats).not.toContain(secret);
    }
  });
});

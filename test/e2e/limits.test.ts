import { randomUUID } from 'node:crypto';
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, startTestGateway, type TestGateway } from '../support/harness.js';
import { sharedRedisUrl } from '../support/redis-server.js';

type ApiError = InstanceType<typeof OpenAI.APIError>;
const hi = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
const post = (gw: TestGateway, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('rate limits per client', () => {
  let up: FakeUpstream;
  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
  });
  afterAll(async () => {
    await up.close();
  });

  it('answers 429 with Retry-After and OpenAI-style x-ratelimit headers past the request budget', async () => {
    const gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]) + 'rate_limits: { requests_per_minute: 3 }\n');
    try {
      const first = await gw.client().chat.completions.create(hi).withResponse();
      expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe('3');
      expect(first.response.headers.get('x-ratelimit-remaining-requests')).toBe('2');
      await gw.client().chat.completions.create(hi);
      await gw.client().chat.completions.create(hi);
      const err = (await gw
        .client()
        .chat.completions.create(hi)
        .catch((e: unknown) => e)) as ApiError;
      expect(err.constructor.name).toBe('RateLimitError');
      expect(err.code).toBe('rate_limit_exceeded');
      expect(Number(err.headers?.get('retry-after'))).toBeGreaterThan(0);
      expect(err.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toContain('switchyard_rejected_requests_total{reason="rate_limited"} 1');
    } finally {
      await gw.close();
    }
  });

  it('counts tokens per minute, and keeps separate budgets per client key', async () => {
    const gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]) + 'auth: { keys: [client-a, client-b] }\nrate_limits: { tokens_per_minute: 30 }\n');
    try {
      const a = gw.client({ apiKey: 'client-a' });
      await a.chat.completions.create(hi); // 17 tokens used
      await a.chat.completions.create(hi); // 34: over budget from now on
      const err = (await a.chat.completions.create(hi).catch((e: unknown) => e)) as ApiError;
      expect(err.status).toBe(429);
      expect(err.message).toMatch(/tokens per minute/);
      const b = await gw.client({ apiKey: 'client-b' }).chat.completions.create(hi);
      expect(b.choices[0]?.message.content).toBe('Hello from alpha');
    } finally {
      await gw.close();
    }
  });

  it('shares one budget across two instances on one Redis', async () => {
    const redis = await sharedRedisUrl();
    const yaml =
      providersYaml([{ name: 'alpha', url: up.url }]) + `redis: { url: ${redis.url}, key_prefix: "rl-${randomUUID()}:" }\nrate_limits: { requests_per_minute: 10, sync_interval_ms: 60000 }\n`;
    const one = await startTestGateway(yaml);
    const two = await startTestGateway(yaml);
    try {
      let ok = 0;
      let limited = 0;
      for (let i = 0; i < 20; i++) {
        const gw = i % 2 ? two : one;
        const res = await post(gw, hi);
        if (res.status === 200) ok += 1;
        else if (res.status === 429) limited += 1;
      }
      expect(ok).toBe(10);
      expect(limited).toBe(10);
    } finally {
      await one.close();
      await two.close();
      await redis.close();
    }
  });
});

describe('Idempotency-Key', () => {
  let up: FakeUpstream;
  let gw: TestGateway;
  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
    gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]));
  });
  afterAll(async () => {
    await gw.close();
    await up.close();
  });
  beforeEach(() => up.reset());

  it('serves a repeated request once and replays the stored answer', async () => {
    const key = randomUUID();
    const first = await post(gw, hi, { 'idempotency-key': key });
    const second = await post(gw, hi, { 'idempotency-key': key });
    expect(up.requests).toHaveLength(1);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(await second.text()).toBe(await first.text());
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_idempotency_replays_total [1-9]/m);
  });

  it('replays a stream', async () => {
    const key = randomUUID();
    const body = { ...hi, stream: true };
    const first = await (await post(gw, body, { 'idempotency-key': key })).text();
    const again = await post(gw, body, { 'idempotency-key': key });
    expect(again.headers.get('content-type')).toContain('text/event-stream');
    expect(await again.text()).toBe(first);
    expect(first.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(up.requests).toHaveLength(1);
    // The SDK reads the replay like any stream.
    const s = await gw.client().chat.completions.create({ ...hi, stream: true }, { headers: { 'idempotency-key': key } });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from alpha');
  });

  it('makes concurrent duplicates wait for the first instead of calling the provider again', async () => {
    up.setDefault({ kind: 'ok', delayMs: 300 });
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 4 }, () => post(gw, hi, { 'idempotency-key': key }).then((r) => r.json() as Promise<{ id: string }>)));
    expect(up.requests).toHaveLength(1);
    expect(new Set(answers.map((a) => a.id)).size).toBe(1);
  });

  it('refuses a key reused with another body', async () => {
    const key = randomUUID();
    await post(gw, hi, { 'idempotency-key': key });
    const res = await post(gw, { ...hi, temperature: 0.5 }, { 'idempotency-key': key });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('idempotency_key_reused');
  });

  it('does not store a failure: a retry tries the providers again', async () => {
    const key = randomUUID();
    up.enqueue({ kind: 'status', status: 503 });
    expect((await post(gw, hi, { 'idempotency-key': key })).status).toBe(502);
    const retry = await post(gw, hi, { 'idempotency-key': key });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(up.requests).toHaveLength(2);
  });

  it('reaches the upstream once for parallel duplicates sent to two instances sharing Redis', async () => {
    const redis = await sharedRedisUrl();
    const yaml = providersYaml([{ name: 'alpha', url: up.url }]) + `redis: { url: ${redis.url}, key_prefix: "idem-${randomUUID()}:" }\n`;
    const one = await startTestGateway(yaml);
    const two = await startTestGateway(yaml);
    try {
      up.setDefault({ kind: 'ok', delayMs: 300 });
      const key = randomUUID();
      const answers = await Promise.all(
        Array.from({ length: 6 }, (_, i) => post(i % 2 ? two : one, hi, { 'idempotency-key': key }).then(async (r) => ({ status: r.status, body: (await r.json()) as { id: string } }))),
      );
      expect(up.requests).toHaveLength(1);
      expect(answers.every((a) => a.status === 200)).toBe(true);
      expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    } finally {
      await one.close();
      await two.close();
      await redis.close();
    }
  });
});

describe('concurrency limit and private operations endpoints', () => {
  it('answers 503 gateway_saturated past max_concurrent_requests, and serves again once requests finish', async () => {
    const up = await FakeUpstream.start('alpha');
    const gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]) + 'limits: { max_concurrent_requests: 2 }\n');
    try {
      up.setDefault({ kind: 'ok', delayMs: 300 });
      const slow = [post(gw, hi), post(gw, hi)];
      await new Promise((r) => setTimeout(r, 100));
      const third = await post(gw, hi);
      expect(third.status).toBe(503);
      expect(third.headers.get('retry-after')).toBe('1');
      expect(((await third.json()) as { error: { code: string } }).error.code).toBe('gateway_saturated');
      expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200]);
      up.setDefault({ kind: 'ok' });
      expect((await post(gw, hi)).status).toBe(200);
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toContain('switchyard_rejected_requests_total{reason="saturated"} 1');
      expect(metrics).toContain('switchyard_in_flight_requests 0');
    } finally {
      await gw.close();
      await up.close();
    }
  });

  it('requires a key on /health and /metrics when they are not public', async () => {
    const up = await FakeUpstream.start('alpha');
    const gw = await startTestGateway(providersYaml([{ name: 'alpha', url: up.url }]) + 'auth: { keys: [client-1], admin_keys: [admin-1], public_health: false, public_metrics: false }\n');
    try {
      for (const path of ['/health', '/metrics']) {
        expect((await fetch(`${gw.url}${path}`)).status).toBe(401);
        expect((await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer client-1' } })).status).toBe(200);
        expect((await fetch(`${gw.url}${path}`, { headers: { authorization: 'Bearer admin-1' } })).status).toBe(200);
      }
    } finally {
      await gw.close();
      await up.close();
    }
  });
});

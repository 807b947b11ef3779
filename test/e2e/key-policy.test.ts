import { randomUUID } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { sharedRedisUrl } from '../support/redis-server.js';

const TEAM_A = 'sk-team-a-0123456789abcdef';
const TEAM_B = 'sk-team-b-fedcba9876543210';
const BATCH = 'sk-batch-5555555555555555';
const PLAIN = 'sk-plain-7777777777777777';
const ADMIN = 'sk-admin-9999999999999999';
const SECRETS = [TEAM_A, TEAM_B, BATCH, PLAIN, ADMIN];

// The fake answers 12 prompt and 5 completion tokens: at these prices one answer costs $2.20.
const yaml = (up: string, redis?: string) => `
providers:
  - name: alpha
    type: openai_compatible
    base_url: ${up}
    api_key: sk-upstream-secret-0123456789
    pricing: { gpt-4o-mini: { input: 100000, output: 200000 }, claude-haiku: { input: 100000, output: 200000 } }
  - name: beta
    type: openai
    base_url: ${up}
    api_key: sk-upstream-secret-0123456789
models:
  fast: [{ provider: alpha, model: gpt-4o-mini }]
auth:
  admin_keys: [${ADMIN}]
  keys:
    - ${PLAIN}
    - key: ${TEAM_A}
      name: team-a
      models: [gpt-4o-mini, "claude-*", fast]
      budget: { usd_per_day: 5 }
    - key: ${TEAM_B}
      name: team-b
      rate_limits: { requests_per_minute: 2 }
    - key: ${BATCH}
      name: batch
      budget: { usd_per_month: 100 }
${redis ? `redis: { url: ${redis}, key_prefix: "kp-${randomUUID()}:", flush_interval_ms: 100 }` : ''}
`;

for (const store of ['in process', 'Redis'] as const) {
  describe(`per-key policy (${store})`, () => {
    let up: FakeUpstream;
    let gw: TestGateway;
    let redis: { url: string; close(): Promise<void> } | undefined;
    const openai = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });
    const ask = (model: string) => ({ model, max_tokens: 5, messages: [{ role: 'user' as const, content: 'hi' }] });
    const admin = (path: string) => fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } });

    beforeAll(async () => {
      up = await FakeUpstream.start('alpha');
      if (store === 'Redis') redis = await sharedRedisUrl();
      gw = await startTestGateway(yaml(up.url, redis?.url));
    });
    afterAll(async () => {
      await gw.close();
      await up.close();
      await redis?.close();
    });

    it('keeps a key to its model allow-list (names, globs, aliases): 403 model_not_allowed in each protocol', async () => {
      expect((await openai(TEAM_A).chat.completions.create(ask('gpt-4o-mini'))).choices[0]?.message.content).toBe('Hello from alpha');
      expect((await openai(TEAM_A).chat.completions.create(ask('fast'))).model).toBeTruthy();
      const refused = await openai(TEAM_A)
        .chat.completions.create(ask('gpt-4o'))
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((refused as InstanceType<typeof OpenAI.PermissionDeniedError>).code).toBe('model_not_allowed');
      expect((refused as Error).message).toContain('team-a');
      const anthropic = new Anthropic({ baseURL: gw.url, apiKey: TEAM_A, maxRetries: 0 });
      const viaMessages = await anthropic.messages.create({ model: 'o1-preview', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
      expect(viaMessages).toBeInstanceOf(Anthropic.PermissionDeniedError);
      expect(JSON.stringify((viaMessages as InstanceType<typeof Anthropic.PermissionDeniedError>).error)).toContain('permission_error');
      // Its model list is what it may use.
      const listed = (await openai(TEAM_A).models.list()).data.map((m) => m.id);
      expect(listed).toContain('fast');
      expect(listed.every((id) => ['gpt-4o-mini', 'fast'].includes(id) || id.startsWith('claude-'))).toBe(true);
      expect((await openai(PLAIN).models.list()).data.map((m) => m.id)).toContain('fast');
      // Every model for the others, plain string keys included.
      expect((await openai(PLAIN).chat.completions.create(ask('gpt-4o'))).choices).toHaveLength(1);
    });

    it("holds a key to its own rate limit and leaves the other keys' alone", async () => {
      const { response } = await openai(TEAM_B).chat.completions.create(ask('m')).withResponse();
      expect(response.headers.get('x-ratelimit-limit-requests')).toBe('2');
      await openai(TEAM_B).chat.completions.create(ask('m'));
      const third = await openai(TEAM_B)
        .chat.completions.create(ask('m'))
        .catch((e: unknown) => e);
      expect(third).toBeInstanceOf(OpenAI.RateLimitError);
      expect((third as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
      expect(Number((third as InstanceType<typeof OpenAI.RateLimitError>).headers?.get('retry-after'))).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) await openai(BATCH).chat.completions.create(ask('m'));
    });

    it('refuses a key over its daily budget with 429 budget_exceeded and the reset time, overspending by less than one request', async () => {
      let served = 0;
      let refusal: InstanceType<typeof OpenAI.RateLimitError> | undefined;
      for (let i = 0; i < 6 && !refusal; i++) {
        try {
          await openai(TEAM_A).chat.completions.create(ask('claude-haiku'));
          served += 1;
        } catch (e) {
          refusal = e as InstanceType<typeof OpenAI.RateLimitError>;
        }
      }
      expect(refusal).toBeInstanceOf(OpenAI.RateLimitError);
      expect(refusal!.code).toBe('budget_exceeded');
      const reset = refusal!.headers?.get('x-switchyard-budget-reset');
      expect(Date.parse(reset ?? '')).toBeGreaterThan(Date.now());
      expect(refusal!.message).toContain(reset!);
      expect(Number(refusal!.headers?.get('retry-after'))).toBeGreaterThan(0);
      // $2.20 an answer, and the first test spent $4.40 of the $5: one more is admitted, then none.
      expect(served).toBe(1);
      const { keys } = (await (await admin('/admin/keys')).json()) as { keys: Array<{ name: string; budget: { spent_today_usd: number; reserved_usd: number } | null }> };
      const a = keys.find((k) => k.name === 'team-a')!;
      expect(a.budget!.spent_today_usd).toBeCloseTo(6.6, 6);
      expect(a.budget!.spent_today_usd - 5).toBeLessThan(2.2);
      expect(a.budget!.reserved_usd).toBe(0);
    });

    it('shows spend and limits per key name to admins only, never a key', async () => {
      const byKey = await admin('/usage?period=today&group_by=key');
      expect(byKey.status).toBe(200);
      const usage = (await byKey.json()) as { usage: Record<string, { requests: number; cost_usd: number }> };
      expect(usage.usage['team-a']).toMatchObject({ requests: 3, cost_usd: 6.6 });
      expect(usage.usage['team-b']!.requests).toBe(2);
      expect(usage.usage.batch!.requests).toBe(3);
      expect(Object.keys(usage.usage).some((k) => k.startsWith('key-'))).toBe(true); // the plain key, by digest
      expect((await fetch(`${gw.url}/usage?group_by=key`, { headers: { authorization: `Bearer ${TEAM_A}` } })).status).toBe(401);

      const keysPage = await admin('/admin/keys');
      const text = await keysPage.text();
      const report = JSON.parse(text) as {
        keys: Array<{ name: string; models: string[] | null; rate_limits: { requests_per_minute: number | null; used: { requests: number } } }>;
        unnamed_keys: number;
      };
      expect(report.keys.map((k) => k.name)).toEqual(['team-a', 'team-b', 'batch']);
      expect(report.unnamed_keys).toBe(1);
      expect(report.keys[1]!.rate_limits).toMatchObject({ requests_per_minute: 2, used: { requests: 2 } });
      expect(report.keys[0]!.models).toEqual(['gpt-4o-mini', 'claude-*', 'fast']);
      expect((await fetch(`${gw.url}/admin/keys`, { headers: { authorization: `Bearer ${TEAM_A}` } })).status).toBe(401);

      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      expect(metrics).toMatch(/switchyard_key_rejected_requests_total\{key="team-a",reason="model_not_allowed"\} 2/);
      expect(metrics).toMatch(/switchyard_key_rejected_requests_total\{key="team-b",reason="rate_limited"\} 1/);
      expect(metrics).toMatch(/switchyard_key_rejected_requests_total\{key="team-a",reason="budget_exceeded"\} 1/);
      expect(metrics).toMatch(/switchyard_key_cost_usd_total\{key="team-a"\} 6\.6/);
      for (const secret of SECRETS) {
        expect(text).not.toContain(secret);
        expect(metrics).not.toContain(secret);
        expect(gw.logs.join('\n')).not.toContain(secret);
        expect(JSON.stringify(usage)).not.toContain(secret);
      }
    });

    it('does not forward other /v1 requests for a key with an allow-list or a budget', async () => {
      const res = await fetch(`${gw.url}/v1/files`, { headers: { authorization: `Bearer ${TEAM_A}` } });
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('passthrough_not_allowed');
      const other = await fetch(`${gw.url}/v1/files`, { headers: { authorization: `Bearer ${TEAM_B}` } });
      expect(other.status).not.toBe(403);
    });
  });
}

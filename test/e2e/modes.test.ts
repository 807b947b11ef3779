import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { eventually, sharedRedisUrl } from '../support/redis-server.js';

const yaml = (alpha: string, beta: string, redis?: string) => `
providers:
  - name: alpha
    type: openai_compatible
    base_url: ${alpha}
    api_key: sk-alpha-secret-0123456789
    pricing: { m: { input: 10, output: 30 } }
  - name: beta
    type: openai_compatible
    base_url: ${beta}
    api_key: sk-beta-secret-0123456789
    pricing: { m: { input: 0.1, output: 0.3 } }
models:
  fast: [{ provider: alpha, model: m }]
modes:
  production: { routing: { strategy: priority } }
  budget:
    routing: { strategy: cost }
    models: { fast: [{ provider: beta, model: m }] }
mode: production
${redis ? `redis: { url: ${redis}, key_prefix: "modes-${randomUUID()}:", sync_interval_ms: 500 }` : ''}
`;

describe('config modes', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let redis: { url: string; close(): Promise<void> };
  let one: TestGateway;
  let two: TestGateway;
  const served = async (gw: TestGateway, model = 'm', headers: Record<string, string> = {}) =>
    (
      await gw
        .client()
        .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] }, { headers })
        .withResponse()
    ).response.headers.get('x-switchyard-provider');
  const health = async (gw: TestGateway) => ((await (await fetch(`${gw.url}/health`)).json()) as { mode: string | null }).mode;
  const switchTo = (gw: TestGateway, mode: string | null) => fetch(`${gw.url}/admin/mode`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mode }) });

  beforeAll(async () => {
    a = await FakeUpstream.start('alpha');
    b = await FakeUpstream.start('beta');
    redis = await sharedRedisUrl();
    const config = yaml(a.url, b.url, redis.url);
    one = await startTestGateway(config);
    two = await startTestGateway(config);
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    await a.close();
    await b.close();
    await redis.close();
  });

  it('routes by the mode in force, and a request may name another with x-switchyard-mode', async () => {
    expect(await health(one)).toBe('production');
    expect(await served(one)).toBe('alpha');
    expect(await served(one, 'fast')).toBe('alpha');
    expect(await served(one, 'm', { 'x-switchyard-mode': 'budget' })).toBe('beta');
    expect(await served(one, 'fast', { 'x-switchyard-mode': 'budget' })).toBe('beta');
    const unknown = await one
      .client()
      .chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-switchyard-mode': 'cheapest' } })
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(OpenAI.BadRequestError);
    expect((unknown as InstanceType<typeof OpenAI.BadRequestError>).code).toBe('unknown_mode');
    expect((unknown as Error).message).toContain('production, budget');
    const metrics = await (await fetch(`${one.url}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_mode\{mode="production"\} 1$/m);
  });

  it('switches every instance with POST /admin/mode, with no failed request under load', async () => {
    let stop = false;
    let ok = 0;
    const failures: unknown[] = [];
    const load = async (gw: TestGateway) => {
      while (!stop) {
        try {
          await served(gw);
          ok += 1;
        } catch (e) {
          failures.push(e);
        }
      }
    };
    const loops = [load(one), load(two)];
    try {
      for (const mode of ['budget', 'production', 'budget']) {
        const res = await switchTo(one, mode);
        expect(await res.json()).toMatchObject({ mode, fleet: true });
        expect(await eventually(async () => (await health(two)) === mode)).toBe(true);
        const before = ok;
        expect(await eventually(() => ok >= before + 10)).toBe(true);
      }
    } finally {
      stop = true;
      await Promise.all(loops);
    }
    expect(failures).toEqual([]);
    expect(await served(two)).toBe('beta');
    expect(await served(two, 'fast')).toBe('beta');
    expect(((await (await fetch(`${two.url}/stats`)).json()) as { strategy: string }).strategy).toBe('cost');
    expect(await (await fetch(`${two.url}/metrics`)).text()).toMatch(/^switchyard_mode\{mode="budget"\} 1$/m);
  });

  it('refuses an unknown mode and goes back to the top level with null', async () => {
    const refused = await switchTo(one, 'cheapest');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unknown_mode');
    expect(await (await fetch(`${one.url}/admin/mode`)).json()).toEqual({ mode: 'budget', modes: ['production', 'budget'] });
    expect((await switchTo(one, null)).status).toBe(200);
    expect(await eventually(async () => (await health(two)) === null)).toBe(true);
    expect(await served(two)).toBe('alpha');
  });
});

describe('modes in the config file', () => {
  const base = 'providers: [{ name: a, type: openai_compatible, base_url: "http://127.0.0.1:1/v1", api_key: k }]\n';
  const problems = (text: string) => {
    try {
      parseConfig(base + text, '(inline)', { env: {} });
      return '';
    } catch (e) {
      return (e as Error).message;
    }
  };

  it('names what is wrong by its key path', () => {
    expect(problems('mode: fast\n')).toMatch(/mode: unknown mode "fast"/);
    expect(problems('modes: { m1: { routing: { fallback_chain: [a] } } }\n')).toMatch(/modes\.m1\.routing\.fallback_chain/);
    expect(problems('modes: { m1: { routing: { strategy: ./nowhere.mjs } } }\n')).toMatch(/modes\.m1\.routing\.strategy/);
    expect(problems('modes: { m1: { routing: { max_attempts: -1 } } }\n')).toMatch(/modes\.m1\.routing\.max_attempts/);
    expect(problems('modes: { m1: { models: { x: [{ provider: nobody, model: m }] } } }\n')).toMatch(/modes\.m1\.models\.x\[0\]\.provider/);
  });

  it('merges a mode over the top level: routes per model, the rest as given', () => {
    const loaded = parseConfig(
      `${base}routing: { strategy: latency, request_timeout_ms: 5000, routes: { a1: { strategy: cost } } }\nmodes: { m1: { routing: { strategy: health, routes: { a2: { strategy: weighted } } } } }\n`,
      '(inline)',
      { env: {} },
    );
    const view = loaded.modes.get('m1')!;
    expect(view.routing.strategy).toBe('health');
    expect(view.routing.request_timeout_ms).toBe(5000);
    expect(view.routing.routes).toEqual({ a1: { strategy: 'cost' }, a2: { strategy: 'weighted' } });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoConfigYaml, SIM_SPECS } from '../../src/demo/catalog.js';
import { SimProvider } from '../../src/demo/sim-provider.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

// The demo's simulated providers, made fast, each behind the gateway's real adapter for its protocol.
const FAST = SIM_SPECS.map((spec) => ({ ...spec, firstByteMs: 5, perTokenMs: 0.05 }));
const ask = { model: 'chat', messages: [{ role: 'user' as const, content: 'Write a haiku about circuit breakers.' }] };

describe("the demo's simulated providers speak their protocols well enough for the real adapters", () => {
  let sims: SimProvider[];
  let gw: TestGateway;

  beforeAll(async () => {
    sims = await Promise.all(FAST.map((spec) => SimProvider.start(spec)));
    gw = await startTestGateway(demoConfigYaml(sims, 'demo-admin-key', 0).replace(/^auth: .*$/m, ''));
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all((sims ?? []).map((s) => s.close()));
  });

  const only = (name: string) => {
    for (const s of sims) s.mode = s.spec.name === name ? 'healthy' : 'overloaded';
  };

  for (const spec of FAST) {
    it(`${spec.name}: a whole answer and a stream, with usage and cost`, async () => {
      only(spec.name);
      const { data, response } = await gw.client().chat.completions.create(ask).withResponse();
      expect(response.headers.get('x-switchyard-provider')).toBe(spec.name);
      expect(data.choices[0]!.message.content).toMatch(new RegExp(`^\\[SIMULATED ${spec.name}\\] the gateway`));
      expect(data.usage!.completion_tokens).toBeGreaterThanOrEqual(20);
      expect(data.usage!.prompt_tokens).toBeGreaterThan(8);

      const stream = await gw.client().chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
      let text = '';
      let completion = 0;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        completion = chunk.usage?.completion_tokens ?? completion;
      }
      expect(text).toMatch(new RegExp(`^\\[SIMULATED ${spec.name}\\] the gateway`));
      expect(completion).toBeGreaterThanOrEqual(20);
      const stats = (await (await fetch(`${gw.url}/stats`)).json()) as { providers: Record<string, { cost_usd: number }> };
      expect(stats.providers[spec.name]!.cost_usd).toBeGreaterThan(0);
    });
  }

  it('overloaded providers answer in their own envelope (529 for the Anthropic style, 503 for the others) and are failed over', async () => {
    for (const s of sims) {
      s.mode = 'overloaded';
      gw.gateway.breakers.reset(s.spec.name);
    }
    const err = await gw
      .client()
      .chat.completions.create(ask)
      .then(
        () => undefined,
        (e: { status?: number; message?: string }) => e,
      );
    expect(err?.status).toBe(502);
    expect(err?.message).toContain('sim-gemini');
    expect(err?.message).toMatch(/sim-anthropic[^;]*529/);
    expect(err?.message).toMatch(/sim-openai[^;]*503/);
  });
});

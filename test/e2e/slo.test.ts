/**
 * The `slo` strategy end to end through the openai SDK: the cheapest provider serves while its p95
 * meets the route's slo_ms, and traffic moves to the dearer one once the cheap one turns slow.
 * The clock is injected (the p95s are cached for a second of gateway time) and so is chance.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { providersYaml, type TestGateway } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

async function servedBy(gw: TestGateway): Promise<string | null> {
  const { response } = await gw
    .client()
    .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    .withResponse();
  return response.headers.get('x-switchyard-provider');
}

describe('slo strategy', () => {
  const ctx = useGateway(['dear', 'cheap']);
  let now: number;
  const yaml = ({ dear, cheap }: { dear: { url: string }; cheap: { url: string } }) =>
    providersYaml([
      { name: 'dear', url: dear.url, extra: '    pricing: { gpt-4o-mini: { input: 5, output: 15 } }\n' },
      { name: 'cheap', url: cheap.url, extra: '    pricing: { gpt-4o-mini: { input: 0.1, output: 0.4 } }\n' },
    ]) + 'routing:\n  routes:\n    gpt-4o-mini: { strategy: slo, slo_ms: 300 }\n';

  beforeEach(() => {
    now = Date.now();
  });

  it('picks the cheapest provider that meets slo_ms, and moves when its latency changes', async () => {
    const gw = await ctx.startGateway(yaml, { clock: () => now, random: () => 0.99 });
    // Nothing measured: cheapest first; then measured within the objective, it keeps the traffic.
    for (let i = 0; i < 10; i++) {
      expect(await servedBy(gw)).toBe('cheap');
      now += 2000;
    }
    expect(ctx.dear.requests).toHaveLength(0);

    // The cheap one turns slow: 2 of 12 answers at 700 ms puts its p95 past 300 ms.
    ctx.cheap.enqueue({ kind: 'ok', delayMs: 700 }, { kind: 'ok', delayMs: 700 });
    expect(await servedBy(gw)).toBe('cheap');
    expect(await servedBy(gw)).toBe('cheap');
    now += 2000;
    for (let i = 0; i < 3; i++) {
      expect(await servedBy(gw)).toBe('dear');
      now += 2000;
    }
    const stats = (await (await fetch(`${gw.url}/stats`)).json()) as { providers: Record<string, { latency_ms: { p95: number } }> };
    expect(stats.providers.cheap!.latency_ms.p95).toBeGreaterThan(300);
  });
});

/**
 * Routing strategies end to end: the openai SDK against the gateway in front of fake upstreams that
 * differ in price, latency, error rate and reported rate limits. Which provider served is read from
 * `x-switchyard-provider`; chance is injected (`random`) and so is the clock where caches depend on it.
 */
import OpenAI from 'openai';
import { beforeEach, describe, expect, it } from 'vitest';
import type { FakeUpstream } from '../support/fake-upstream.js';
import { providersYaml, type TestGateway } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

interface Served {
  provider: string | null;
  attempts: string | null;
  text: string | null | undefined;
}

async function send(gw: TestGateway, headers: Record<string, string> = {}, model = ask.model): Promise<Served> {
  const { data, response } = await gw
    .client()
    .chat.completions.create({ ...ask, model }, { headers })
    .withResponse();
  return {
    provider: response.headers.get('x-switchyard-provider'),
    attempts: response.headers.get('x-switchyard-attempts'),
    text: data.choices[0]?.message.content,
  };
}

async function sendFailing(gw: TestGateway, headers: Record<string, string> = {}): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await gw
    .client()
    .chat.completions.create(ask, { headers })
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

/** A `random` that hands out the queued draws, then `fallback` (0.99: never explore). */
function scriptedRandom(fallback = 0.99) {
  const draws: number[] = [];
  return { draws, random: () => draws.shift() ?? fallback };
}

/** Providers for the fakes in the order they were named (each named after its fake), with optional extra lines. */
function chain(fakes: Record<string, FakeUpstream>, extra: Record<string, string> = {}): string {
  return providersYaml(Object.values(fakes).map((u) => ({ name: u.name, url: u.url, extra: extra[u.name] })));
}

describe('cost strategy', () => {
  // Chain order is not price order: the cheapest (beta) is second, the unpriced one (delta) last.
  const ctx = useGateway(
    ['alpha', 'beta', 'gamma', 'delta'],
    (f) =>
      chain(f, {
        alpha: '    pricing:\n      gpt-4o-mini: { input: 5, output: 15 }\n',
        beta: '    pricing:\n      gpt-4o-mini: { input: 0.1, output: 0.4 }\n',
        gamma: '    pricing:\n      gpt-4o-mini: { input: 1, output: 2 }\n',
      }) + 'routing: { strategy: cost }\ncircuit_breaker: { failure_threshold: 1000 }\n',
  );

  it('serves every request from the cheapest provider', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await send(ctx.gw);
      expect(r.provider).toBe('beta');
      expect(r.text).toBe('Hello from beta');
      expect(r.attempts).toBe('1');
    }
    expect(ctx.beta.requests).toHaveLength(3);
    expect(ctx.alpha.requests.length + ctx.gamma.requests.length + ctx.delta.requests.length).toBe(0);
  });

  it('fails over to the next cheapest when the cheapest fails', async () => {
    ctx.beta.enqueue({ kind: 'status', status: 503 });
    const r = await send(ctx.gw);
    expect(r.provider).toBe('gamma');
    expect(r.attempts).toBe('2');
    expect(ctx.beta.requests).toHaveLength(1);
    expect(ctx.alpha.requests).toHaveLength(0);
    expect(ctx.delta.requests).toHaveLength(0);
  });

  it('tries the unpriced provider only after every priced one', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 503 });
    ctx.beta.enqueue({ kind: 'status', status: 503 });
    ctx.gamma.enqueue({ kind: 'status', status: 503 });
    const r = await send(ctx.gw);
    expect(r.provider).toBe('delta');
    expect(r.attempts).toBe('4');
    expect([ctx.alpha, ctx.beta, ctx.gamma].map((u) => u.requests.length)).toEqual([1, 1, 1]);
  });
});

describe('latency strategy', () => {
  // Chain order is slowest first, so that "fastest first" cannot be mistaken for chain order.
  const ctx = useGateway(['slow', 'mid', 'fast']);
  let now: number;
  const clock = () => now;
  const yaml = (f: Record<string, FakeUpstream>) => chain(f) + 'routing: { strategy: latency }\n';

  beforeEach(() => {
    ctx.slow.setDefault({ kind: 'ok', delayMs: 80 });
    ctx.mid.setDefault({ kind: 'ok', delayMs: 40 });
    ctx.fast.setDefault({ kind: 'ok', delayMs: 0 });
    now = Date.now();
  });

  /** The p50 cache holds for a second of gateway time: step past it so the next plan sees fresh medians. */
  const advance = () => {
    now += 2000;
  };

  /** Sends one request to each unmeasured provider in chain order; every provider is measured afterwards. */
  async function measureAll(gw: TestGateway): Promise<void> {
    for (const expected of ['slow', 'mid', 'fast']) {
      expect((await send(gw)).provider).toBe(expected);
      advance();
    }
  }

  it('measures unmeasured providers first, then sends everything to the fastest', async () => {
    const { random } = scriptedRandom();
    const gw = await ctx.startGateway(yaml, { clock, random });
    await measureAll(gw);
    expect([ctx.slow, ctx.mid, ctx.fast].map((u) => u.requests.length)).toEqual([1, 1, 1]);

    for (let i = 0; i < 5; i++) {
      const r = await send(gw);
      expect(r.provider).toBe('fast');
      expect(r.attempts).toBe('1');
    }
    advance();
    expect((await send(gw)).provider).toBe('fast');
    expect([ctx.slow, ctx.mid, ctx.fast].map((u) => u.requests.length)).toEqual([1, 1, 7]);
  });

  it('fails over to the next fastest when the fastest fails', async () => {
    const { random } = scriptedRandom();
    const gw = await ctx.startGateway(yaml, { clock, random });
    await measureAll(gw);
    ctx.fast.enqueue({ kind: 'status', status: 500 });
    const r = await send(gw);
    expect(r.provider).toBe('mid');
    expect(r.attempts).toBe('2');
    expect(ctx.slow.requests).toHaveLength(1);
  });

  it('explores: a low draw sends one request to a slower measured provider', async () => {
    const { draws, random } = scriptedRandom();
    const gw = await ctx.startGateway(yaml, { clock, random });
    await measureAll(gw);
    expect((await send(gw)).provider).toBe('fast');

    // First draw under the exploration probability; the second picks among the others (0: the next fastest).
    draws.push(0.01, 0);
    expect((await send(gw)).provider).toBe('mid');
    expect(draws).toHaveLength(0);
    expect((await send(gw)).provider).toBe('fast');

    // A high second draw picks the slowest.
    draws.push(0.01, 0.99);
    expect((await send(gw)).provider).toBe('slow');
    expect((await send(gw)).provider).toBe('fast');
    expect([ctx.slow, ctx.mid, ctx.fast].map((u) => u.requests.length)).toEqual([2, 2, 4]);
  });
});

describe('health strategy', () => {
  const ctx = useGateway(['a', 'b'], (f) => chain(f) + 'routing: { strategy: health }\ncircuit_breaker: { failure_threshold: 1000 }\n');

  it('prefers the provider with the better recent success rate', async () => {
    // Nothing known yet: both count as healthy, so chain order.
    expect((await send(ctx.gw)).provider).toBe('a');

    // Traffic through a first (priority order): a fails every other request, b always succeeds.
    for (let i = 0; i < 5; i++) ctx.a.enqueue({ kind: 'status', status: 500 }, { kind: 'ok' });
    const served: Array<string | null> = [];
    for (let i = 0; i < 10; i++) served.push((await send(ctx.gw, { 'x-switchyard-strategy': 'priority' })).provider);
    expect(served).toEqual(['b', 'a', 'b', 'a', 'b', 'a', 'b', 'a', 'b', 'a']);
    expect(ctx.a.requests).toHaveLength(11);
    expect(ctx.b.requests).toHaveLength(5);

    // a: 6 of 11 succeeded, b: 5 of 5; a's breaker stayed closed (threshold 1000).
    const health = (await fetch(`${ctx.gw.url}/health`).then((r) => r.json())) as { providers: Record<string, { circuit: string }> };
    expect(health.providers.a?.circuit).toBe('closed');
    for (let i = 0; i < 4; i++) {
      const r = await send(ctx.gw);
      expect(r.provider).toBe('b');
      expect(r.attempts).toBe('1');
    }
    expect(ctx.a.requests).toHaveLength(11);
    expect(ctx.b.requests).toHaveLength(9);
  });
});

describe('weighted strategy', () => {
  const rnd = scriptedRandom(0.5);
  const ctx = useGateway(
    ['alpha', 'beta', 'spare'],
    (f) => chain(f, { alpha: '    weight: 3\n', beta: '    weight: 1\n', spare: '    weight: 0\n' }) + 'routing: { strategy: weighted }\ncircuit_breaker: { failure_threshold: 1000 }\n',
    { random: rnd.random },
  );
  beforeEach(() => {
    rnd.draws.length = 0;
  });

  it('picks exactly the providers the draws select (alpha below 3/4, beta above)', async () => {
    const draws = [0.1, 0.8, 0.5, 0.74, 0.75, 0.99, 0];
    rnd.draws.push(...draws);
    const served: Array<string | null> = [];
    for (let i = 0; i < draws.length; i++) served.push((await send(ctx.gw)).provider);
    expect(served).toEqual(['alpha', 'beta', 'alpha', 'alpha', 'beta', 'beta', 'alpha']);
    // One draw per request: with one positive-weight candidate left, no draw is made.
    expect(rnd.draws).toHaveLength(0);
    expect(ctx.spare.requests).toHaveLength(0);
  });

  it('splits 40 evenly spread draws 30 / 10', async () => {
    for (let i = 0; i < 40; i++) rnd.draws.push((i + 0.5) / 40);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 40; i++) {
      const p = (await send(ctx.gw)).provider!;
      counts[p] = (counts[p] ?? 0) + 1;
    }
    expect(counts).toEqual({ alpha: 30, beta: 10 });
    expect(ctx.alpha.requests).toHaveLength(30);
    expect(ctx.beta.requests).toHaveLength(10);
    expect(ctx.spare.requests).toHaveLength(0);
  });

  it('uses the weight-0 provider only when the others fail', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 503 });
    ctx.beta.enqueue({ kind: 'status', status: 503 });
    rnd.draws.push(0.1);
    const r = await send(ctx.gw);
    expect(r.provider).toBe('spare');
    expect(r.attempts).toBe('3');
    expect(ctx.alpha.requests).toHaveLength(1);
    expect(ctx.beta.requests).toHaveLength(1);
  });
});

describe('headroom strategy', () => {
  const ctx = useGateway(['alpha', 'beta']);
  const headroom = (f: Record<string, FakeUpstream>) => chain(f) + 'routing: { strategy: headroom }\n';

  it('moves away from a provider that reports no requests left', async () => {
    const gw = await ctx.startGateway(headroom);
    ctx.alpha.enqueue({ kind: 'ok', headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-limit-requests': '100' } });
    // Nothing known: chain order.
    expect((await send(gw)).provider).toBe('alpha');
    for (let i = 0; i < 3; i++) {
      const r = await send(gw);
      expect(r.provider).toBe('beta');
      expect(r.attempts).toBe('1');
    }
    expect(ctx.alpha.requests).toHaveLength(1);
  });

  it('prefers the provider reporting more requests left', async () => {
    const gw = await ctx.startGateway(headroom);
    ctx.alpha.setDefault({ kind: 'ok', headers: { 'x-ratelimit-remaining-requests': '20', 'x-ratelimit-limit-requests': '100' } });
    ctx.beta.setDefault({ kind: 'ok', headers: { 'x-ratelimit-remaining-requests': '60', 'x-ratelimit-limit-requests': '100' } });
    // Learn both reports (priority order, then a pin for beta).
    expect((await send(gw, { 'x-switchyard-strategy': 'priority' })).provider).toBe('alpha');
    expect((await send(gw, { 'x-switchyard-provider': 'beta' })).provider).toBe('beta');
    expect((await send(gw)).provider).toBe('beta');
    expect(ctx.alpha.requests).toHaveLength(1);
  });

  it('puts a provider that used up its rpm_limit last, but still tries it', async () => {
    const gw = await ctx.startGateway((f) => chain(f, { alpha: '    rpm_limit: 3\n' }) + 'routing: { strategy: headroom }\ncircuit_breaker: { failure_threshold: 1000 }\n');
    // Nothing sent yet: both have full headroom, chain order.
    expect((await send(gw)).provider).toBe('alpha');
    // Two more within the minute (in chain order, regardless of headroom): alpha's 3 are used up.
    expect((await send(gw, { 'x-switchyard-strategy': 'priority' })).provider).toBe('alpha');
    expect((await send(gw, { 'x-switchyard-strategy': 'priority' })).provider).toBe('alpha');
    expect(ctx.alpha.requests).toHaveLength(3);

    const r = await send(gw);
    expect(r.provider).toBe('beta');
    expect(r.attempts).toBe('1');
    expect(ctx.alpha.requests).toHaveLength(3);

    // Last, not dropped: when beta fails, alpha still serves.
    ctx.beta.enqueue({ kind: 'status', status: 503 });
    const r2 = await send(gw);
    expect(r2.provider).toBe('alpha');
    expect(r2.attempts).toBe('2');
    expect(ctx.alpha.requests).toHaveLength(4);
  });
});

describe('choosing the strategy per request and per route', () => {
  const prices = (input: number, output: number) => `    pricing:\n      gpt-4o-mini: { input: ${input}, output: ${output} }\n      cheap-model: { input: ${input}, output: ${output} }\n`;
  const ctx = useGateway(['alpha', 'beta'], (f) => chain(f, { alpha: prices(10, 30), beta: prices(0.1, 0.3) }) + 'routing:\n  strategy: priority\n  routes:\n    cheap-model: { strategy: cost }\n');

  it('uses the configured strategy (priority) without a header', async () => {
    expect((await send(ctx.gw)).provider).toBe('alpha');
  });

  it('x-switchyard-strategy: cost overrides the configured priority', async () => {
    const r = await send(ctx.gw, { 'x-switchyard-strategy': 'cost' });
    expect(r.provider).toBe('beta');
    expect(r.attempts).toBe('1');
    expect(ctx.alpha.requests).toHaveLength(0);
  });

  it('answers 400 unknown_strategy for a strategy name it does not know', async () => {
    const err = await sendFailing(ctx.gw, { 'x-switchyard-strategy': 'no-such-strategy' });
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('unknown_strategy');
    expect(err.message).toMatch(/no-such-strategy/);
    expect(ctx.alpha.requests.length + ctx.beta.requests.length).toBe(0);
  });

  it('a route applies its strategy to its model only', async () => {
    const cheap = await send(ctx.gw, {}, 'cheap-model');
    expect(cheap.provider).toBe('beta');
    expect(ctx.beta.requests[0]?.body.model).toBe('cheap-model');
    expect((await send(ctx.gw)).provider).toBe('alpha');
    // The header still beats the route.
    expect((await send(ctx.gw, { 'x-switchyard-strategy': 'priority' }, 'cheap-model')).provider).toBe('alpha');
  });
});

describe('pinning a provider (x-switchyard-provider)', () => {
  const ctx = useGateway(['alpha', 'beta'], (f) => chain(f) + 'circuit_breaker: { failure_threshold: 1000 }\n');

  it('serves from the pinned provider although another is first in the chain', async () => {
    const r = await send(ctx.gw, { 'x-switchyard-provider': 'beta' });
    expect(r.provider).toBe('beta');
    expect(r.text).toBe('Hello from beta');
    expect(r.attempts).toBe('1');
    expect(ctx.alpha.requests).toHaveLength(0);
  });

  it('falls back to the others when the pinned provider fails', async () => {
    ctx.beta.enqueue({ kind: 'status', status: 503 });
    const r = await send(ctx.gw, { 'x-switchyard-provider': 'beta' });
    expect(r.provider).toBe('alpha');
    expect(r.attempts).toBe('2');
    expect(ctx.beta.requests).toHaveLength(1);
  });

  it('with x-switchyard-fallback: false, fails (502) without touching the others', async () => {
    ctx.beta.enqueue({ kind: 'status', status: 503 });
    const err = await sendFailing(ctx.gw, { 'x-switchyard-provider': 'beta', 'x-switchyard-fallback': 'false' });
    expect(err.status).toBe(502);
    expect(err.code).toBe('all_providers_failed');
    expect(err.headers?.get('x-switchyard-attempts')).toBe('1');
    expect(ctx.beta.requests).toHaveLength(1);
    expect(ctx.alpha.requests).toHaveLength(0);
  });

  it('answers 400 unknown_provider for a provider it does not know', async () => {
    const err = await sendFailing(ctx.gw, { 'x-switchyard-provider': 'omega' });
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.code).toBe('unknown_provider');
    expect(ctx.alpha.requests.length + ctx.beta.requests.length).toBe(0);
  });
});

describe('session affinity (x-switchyard-session)', () => {
  const ctx = useGateway(['alpha', 'beta'], (f) => chain(f) + 'routing: { fallback_chain: [alpha, beta] }\ncircuit_breaker: { failure_threshold: 1000 }\n');

  it('keeps a session on the provider that served it', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 503 });
    const first = await send(ctx.gw, { 'x-switchyard-session': 's1' });
    expect(first.provider).toBe('beta');
    expect(first.attempts).toBe('2');
    expect(ctx.alpha.requests).toHaveLength(1);

    // alpha is healthy again, but the session stays on beta.
    for (let i = 0; i < 3; i++) {
      const r = await send(ctx.gw, { 'x-switchyard-session': 's1' });
      expect(r.provider).toBe('beta');
      expect(r.attempts).toBe('1');
    }
    expect(ctx.alpha.requests).toHaveLength(1);
    expect(ctx.beta.requests).toHaveLength(4);

    // Without a session, or with another one, the chain order applies.
    expect((await send(ctx.gw)).provider).toBe('alpha');
    expect((await send(ctx.gw, { 'x-switchyard-session': 's2' })).provider).toBe('alpha');
    expect(ctx.alpha.requests).toHaveLength(3);
    // And s2 now sticks to alpha, s1 still to beta.
    expect((await send(ctx.gw, { 'x-switchyard-session': 's2' })).provider).toBe('alpha');
    expect((await send(ctx.gw, { 'x-switchyard-session': 's1' })).provider).toBe('beta');
  });
});

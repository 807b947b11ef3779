/**
 * The setup most end-to-end suites share, as vitest hooks: fake upstreams started by name, a gateway in
 * front of them, everything closed at the end and the fakes reset before each test.
 */
import type OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { FakeUpstream } from './fake-upstream.js';
import { startTestGateway, type TestGateway, type TestGatewayOptions } from './harness.js';

/** The started fakes, by name, in the order they were named. */
export type Fakes<N extends string> = { readonly [K in N]: FakeUpstream };

/** What the gateway YAML is made from: the fakes, once they listen. */
export type ScenarioYaml<N extends string> = string | ((fakes: Fakes<N>) => string);

export interface ScenarioGatewayOptions extends TestGatewayOptions {
  env?: NodeJS.ProcessEnv;
}

export interface ScenarioOptions extends ScenarioGatewayOptions {
  /** Reset every fake (queue, default fault, recorded requests) before each test; default true. */
  reset?: boolean;
}

export interface ScenarioBase<N extends string> {
  /** The gateway started in `beforeAll`; only when `useGateway` was given its YAML. */
  readonly gw: TestGateway;
  /** `gw.client(options)`. */
  client(options?: { apiKey?: string; maxRetries?: number }): OpenAI;
  /** Starts one more gateway in front of the same fakes; it is closed after the current test. */
  startGateway(yaml: ScenarioYaml<N>, options?: ScenarioGatewayOptions): Promise<TestGateway>;
}

/** The scenario with each fake as a property named after it (`s.alpha`), readable from `beforeAll` on. */
export type GatewayScenario<N extends string> = ScenarioBase<N> & Fakes<N>;

const RESERVED = new Set(['gw', 'client', 'startGateway']);

/**
 * Registers, in the calling `describe`: a `beforeAll` that starts a `FakeUpstream` per name and then (when
 * `yaml` is given) a gateway, an `afterAll` that closes them, a `beforeEach` that resets the fakes (unless
 * `reset: false`) and an `afterEach` that closes the gateways `startGateway` started during the test.
 * The returned properties are read inside hooks and tests, not while the suite is being collected.
 */
export function useGateway<const N extends string>(names: readonly N[], yaml?: ScenarioYaml<N>, options: ScenarioOptions = {}): GatewayScenario<N> {
  for (const n of names) if (RESERVED.has(n)) throw new Error(`useGateway: a fake may not be called "${n}"`);
  const { reset = true, ...gatewayOptions } = options;
  let fakes: Fakes<N> | undefined;
  let shared: TestGateway | undefined;
  const perTest: TestGateway[] = [];

  const started = (what: string): Fakes<N> => {
    if (!fakes) throw new Error(`useGateway: ${what} is only available once beforeAll has run`);
    return fakes;
  };
  const start = (y: ScenarioYaml<N>, { env = {}, ...o }: ScenarioGatewayOptions) => startTestGateway(typeof y === 'function' ? y(started('the YAML')) : y, env, o);

  const scenario: ScenarioBase<N> = {
    get gw(): TestGateway {
      if (!shared) throw new Error(yaml === undefined ? 'useGateway: no shared gateway (no YAML was given)' : 'useGateway: gw is only available once beforeAll has run');
      return shared;
    },
    client: (o) => scenario.gw.client(o),
    async startGateway(y, o = {}) {
      const gw = await start(y, o);
      perTest.push(gw);
      return gw;
    },
  };
  for (const n of names) Object.defineProperty(scenario, n, { enumerable: true, get: () => started(`fake "${n}"`)[n] });

  beforeAll(async () => {
    const ups = await Promise.all(names.map((n) => FakeUpstream.start(n)));
    fakes = Object.fromEntries(names.map((n, i) => [n, ups[i]!])) as Record<N, FakeUpstream>;
    if (yaml !== undefined) shared = await start(yaml, gatewayOptions);
  });
  afterAll(async () => {
    await shared?.close();
    await Promise.all(Object.values<FakeUpstream>(fakes ?? {}).map((u) => u.close()));
  });
  if (reset) {
    beforeEach(() => {
      for (const u of Object.values<FakeUpstream>(started('reset'))) u.reset();
    });
  }
  afterEach(async () => {
    await Promise.all(perTest.splice(0).map((g) => g.close()));
  });

  return scenario as GatewayScenario<N>;
}

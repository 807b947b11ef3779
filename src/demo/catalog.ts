import type { SimProvider, SimSpec } from './sim-provider.js';

/**
 * The demo's simulated providers, cheapest first: a Gemini-style, an Anthropic-style and an OpenAI-style
 * service with their vendors' list prices and typical speeds. Every name says `sim-`.
 */
export const SIM_SPECS: readonly SimSpec[] = [
  { name: 'sim-gemini', style: 'gemini', model: 'gemini-2.0-flash', price: { input: 0.1, output: 0.4 }, firstByteMs: 220, perTokenMs: 3 },
  { name: 'sim-anthropic', style: 'anthropic', model: 'claude-3-haiku', price: { input: 0.25, output: 1.25 }, firstByteMs: 380, perTokenMs: 7 },
  { name: 'sim-openai', style: 'openai', model: 'gpt-4o', price: { input: 2.5, output: 10 }, firstByteMs: 300, perTokenMs: 6 },
];

/** Demo breaker settings: quick to open and to probe, so a minute shows whole cycles. */
export const DEMO_BREAKER = { failureThreshold: 3, cooldownSeconds: 5 };
/** Upstream timeout of the simulated providers (a provider that hangs costs this much per attempt). */
export const DEMO_TIMEOUT_MS = 3000;

/**
 * The gateway config of the demo: the simulated providers (listed in the opposite order of their prices,
 * so the cost strategy visibly reorders them), the cost strategy, quick breakers and a generated admin key.
 *
 * @example
 * demoConfigYaml(sims, 'demo-admin-1234', 8000); // 'server: { host: 127.0.0.1, port: 8000 }\nproviders:\n  - name: sim-openai ...'
 */
export function demoConfigYaml(sims: ReadonlyArray<Pick<SimProvider, 'spec' | 'baseUrl'>>, adminKey: string, port: number): string {
  const providers = [...sims]
    .reverse()
    .map((s) => {
      const p = s.spec;
      return [
        `  - name: ${p.name}   # SIMULATED ${p.style}-style provider (switchyard demo)`,
        `    type: ${p.style}`,
        `    base_url: ${s.baseUrl}`,
        `    api_key: sim-key-not-a-secret`,
        `    models: [${p.model}]`,
        `    default_model: ${p.model}`,
        `    pricing: { ${p.model}: { input: ${p.price.input}, output: ${p.price.output} } }`,
        `    timeout_ms: ${DEMO_TIMEOUT_MS}`,
      ].join('\n');
    })
    .join('\n');
  return [
    '# switchyard demo: every provider below is a SIMULATION running inside the demo process.',
    `server: { host: 127.0.0.1, port: ${port} }`,
    'providers:',
    providers,
    'routing: { strategy: cost }',
    `circuit_breaker: { failure_threshold: ${DEMO_BREAKER.failureThreshold}, cooldown_seconds: ${DEMO_BREAKER.cooldownSeconds} }`,
    `auth: { admin_keys: [${adminKey}] }`,
    'logging: { level: error }',
    '',
  ].join('\n');
}

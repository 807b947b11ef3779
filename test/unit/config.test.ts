import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const provider = (name: string, extra = '') => `  - name: ${name}\n    type: openai\n    base_url: http://127.0.0.1:1/v1\n${extra}`;

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, '(inline)', { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('config loading', () => {
  it('applies defaults', () => {
    const { config, chain } = parseConfig(`providers:\n${provider('a')}`, '(inline)', { env: {} });
    expect(config.server).toEqual({ port: 8000, host: '0.0.0.0', shutdown_timeout_seconds: 30, header_timeout_ms: 10_000, body_timeout_ms: 30_000 });
    expect(config.routing.strategy).toBe('priority');
    expect(config.circuit_breaker).toEqual({ failure_threshold: 5, cooldown_seconds: 60 });
    expect(config.providers[0]!.timeout_ms).toBe(30_000);
    expect(chain).toEqual(['a']);
  });

  it('interpolates ${VAR} and ${VAR:-default}', () => {
    const { config } = parseConfig(
      `server: { port: \${P:-9000}, host: \${H} }\nproviders:\n${provider('a', '    api_key: ${KEY}\n    default_model: ${M:-small}\n')}`,
      '(inline)',
      { env: { H: '127.0.0.1', KEY: 'sk-1' } },
    );
    expect(config.server).toMatchObject({ port: 9000, host: '127.0.0.1' });
    expect(config.providers[0]!.api_key).toBe('sk-1');
    expect(config.providers[0]!.default_model).toBe('small');
  });

  it('lets PORT and REDIS_URL override the file', () => {
    const { config } = parseConfig('server: { port: 1234 }\n', '(inline)', { env: { PORT: '4321', REDIS_URL: 'redis://x:1' } });
    expect(config.server.port).toBe(4321);
    expect(config.redis.url).toBe('redis://x:1');
  });

  it('skips a provider whose api_key variable is unset, with a warning naming the variable', () => {
    const loaded = parseConfig(`providers:\n${provider('a', '    api_key: ${A_KEY}\n')}${provider('b', '    api_key: sk-b\n')}routing: { fallback_chain: [a, b] }\n`, '(inline)', { env: {} });
    expect(loaded.providers.map((p) => p.name)).toEqual(['b']);
    expect(loaded.chain).toEqual(['b']);
    expect(loaded.warnings.join('\n')).toContain('A_KEY');
  });

  it('starts with no usable provider, and says so', () => {
    const loaded = parseConfig(`providers:\n${provider('a', '    api_key: ${A_KEY}\n')}`, '(inline)', { env: {} });
    expect(loaded.providers).toEqual([]);
    expect(loaded.warnings.join('\n')).toMatch(/no usable provider/);
  });

  it('orders the chain: fallback_chain first, then the rest in file order', () => {
    const { chain } = parseConfig(`providers:\n${provider('a')}${provider('b')}${provider('c')}routing: { fallback_chain: [c, a] }\n`, '(inline)', { env: {} });
    expect(chain).toEqual(['c', 'a', 'b']);
  });

  it('names the key path and the problem', () => {
    expect(problems(`providers:\n  - name: a\n    type: openai\n    base_url: not a url\n    timeout_ms: -5\n    colour: red\n`)).toEqual([
      'providers[0].base_url: must be an http(s) URL',
      'providers[0].timeout_ms: Too small: expected number to be >0',
      'providers[0]: unknown key "colour"',
    ]);
    expect(problems('circuit_breaker: { failure_threshold: zero }\n')).toEqual(['circuit_breaker.failure_threshold: Invalid input: expected number, received string']);
    expect(problems(`providers:\n${provider('a')}${provider('a')}`)).toEqual(['providers[1].name: duplicate provider name "a"']);
    expect(problems(`providers:\n${provider('a')}routing: { fallback_chain: [a, ghost] }\n`)).toEqual(['routing.fallback_chain[1]: unknown provider "ghost"']);
    expect(problems(`providers:\n  - name: a\n    type: telepathy\n    base_url: http://x/v1\n`)[0]).toMatch(/^providers\[0\]\.type: unknown provider type "telepathy"/);
  });

  it('says which unset variable left a required value empty', () => {
    expect(problems(`providers:\n  - name: a\n    type: openai\n    base_url: \${BASE}\n`)).toEqual(['providers[0].base_url: must be an http(s) URL (environment variable BASE is not set)']);
  });

  it('reports YAML syntax errors', () => {
    expect(problems('providers: [\n')[0]).toMatch(/^YAML syntax:/);
  });
});

describe('presets and auto-discovery', () => {
  it('fills type, base_url and the key variable from a preset', () => {
    const loaded = parseConfig('providers:\n  - name: fast\n    preset: groq\n', '(inline)', { env: { GROQ_API_KEY: 'gsk-1' } });
    expect(loaded.providers[0]).toMatchObject({ type: 'openai_compatible', base_url: 'https://api.groq.com/openai/v1', api_key: 'gsk-1' });
  });

  it('skips a preset provider whose key variable is unset, naming it', () => {
    const loaded = parseConfig('providers:\n  - name: ds\n    preset: deepseek\n', '(inline)', { env: {} });
    expect(loaded.providers).toEqual([]);
    expect(loaded.warnings.join('\n')).toContain('DEEPSEEK_API_KEY');
  });

  it('lets explicit fields beat the preset', () => {
    const loaded = parseConfig('providers:\n  - name: mine\n    preset: vllm\n    base_url: http://10.0.0.5:9000/v1\n', '(inline)', { env: {} });
    expect(loaded.providers[0]).toMatchObject({ type: 'openai_compatible', base_url: 'http://10.0.0.5:9000/v1' });
    expect(loaded.providers[0]!.api_key).toBeUndefined();
  });

  it('rejects an unknown preset', () => {
    expect(problems('providers:\n  - name: x\n    preset: nowhere\n    type: openai\n    base_url: http://x/v1\n')[0]).toMatch(/^providers\[0\]\.preset: unknown preset/);
  });

  it('builds providers from the standard key variables when the config names none', () => {
    const loaded = parseConfig('routing: { strategy: priority }\n', '(inline)', { env: { ANTHROPIC_API_KEY: 'sk-ant', MISTRAL_API_KEY: 'm-1', OLLAMA_HOST: '127.0.0.1:11434' } });
    expect(loaded.chain).toEqual(['anthropic', 'mistral', 'ollama']);
    expect(loaded.providers[0]).toMatchObject({ type: 'anthropic', base_url: 'https://api.anthropic.com/v1', api_key: 'sk-ant', models: ['claude-*'] });
    expect(loaded.providers[2]).toMatchObject({ type: 'ollama', base_url: 'http://127.0.0.1:11434' });
    expect(loaded.notes.join('\n')).toMatch(/found anthropic, mistral, ollama from the environment/);
  });

  it('says so when neither config nor environment names a provider', () => {
    const loaded = parseConfig('', '(inline)', { env: {} });
    expect(loaded.providers).toEqual([]);
    expect(loaded.notes.join('\n')).toMatch(/none in the environment/);
  });

  it('takes several keys, dropping unset ones with a warning', () => {
    const loaded = parseConfig(`providers:\n${provider('a', '    api_keys: [${K1}, ${K2}, k3]\n')}`, '(inline)', { env: { K1: 'k1' } });
    expect(loaded.providers[0]!.api_keys).toEqual(['k1', '', 'k3']);
    expect(loaded.warnings.join('\n')).toMatch(/1 key variable\(s\) not set \(K2\); using 2 key\(s\)/);
  });

  it('checks alias targets', () => {
    expect(problems(`providers:\n${provider('a')}models:\n  best: [ { provider: ghost, model: x } ]\n`)).toEqual(['models.best[0].provider: unknown provider "ghost"']);
    const loaded = parseConfig(`providers:\n${provider('a', '    api_key: ${NOPE}\n')}${provider('b')}models:\n  best: [ { provider: a, model: x }, { provider: b, model: y } ]\n`, '(inline)', { env: {} });
    expect(loaded.config.models.best).toEqual([{ provider: 'b', model: 'y' }]);
  });
});

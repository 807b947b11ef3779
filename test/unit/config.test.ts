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
    expect(config.server).toEqual({ port: 8000, host: '0.0.0.0' });
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
    expect(config.server).toEqual({ port: 9000, host: '127.0.0.1' });
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

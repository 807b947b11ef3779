import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile, parseConfig } from '../../src/config/load.js';
import { redisUrlProblem } from '../../src/config/redis-url.js';
import { validateConfigFile } from '../../src/config/validate-runtime.js';

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
    expect(config.server).toEqual({
      port: 8000,
      host: '0.0.0.0',
      shutdown_timeout_seconds: 30,
      header_timeout_ms: 10_000,
      body_timeout_ms: 30_000,
      stream_keepalive_ms: 15_000,
      workers: 1,
      warm_up_requests: 0,
    });
    expect(config.routing.strategy).toBe('priority');
    expect(config.circuit_breaker).toEqual({ failure_threshold: 5, cooldown_seconds: 60 });
    expect(config.providers[0]!.timeout_ms).toBe(30_000);
    expect(chain).toEqual(['a']);
  });

  it('interpolates ${VAR} and ${VAR:-default}', () => {
    const { config } = parseConfig(`server: { port: \${P:-9000}, host: \${H} }\nproviders:\n${provider('a', '    api_key: ${KEY}\n    default_model: ${M:-small}\n')}`, '(inline)', {
      env: { H: '127.0.0.1', KEY: 'sk-1' },
    });
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
    const loaded = parseConfig(`providers:\n${provider('a', '    api_key: ${NOPE}\n')}${provider('b')}models:\n  best: [ { provider: a, model: x }, { provider: b, model: y } ]\n`, '(inline)', {
      env: {},
    });
    expect(loaded.config.models.best).toEqual([{ provider: 'b', model: 'y' }]);
  });
});

describe('what serve needs is checked at load, naming the key path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const fileProblems = async (name: string, yaml: string): Promise<string[]> => {
    try {
      await validateConfigFile(file(name, yaml), { env: {} });
    } catch (err) {
      if (err instanceof ConfigError) return err.problems;
      throw err;
    }
    return [];
  };

  it('refuses an unknown strategy, in routing.strategy and in a route', () => {
    expect(problems('routing: { strategy: fastest }\n')).toEqual([
      'routing.strategy: unknown strategy "fastest" (built-in: priority, cost, latency, health, weighted, headroom, score, slo; or a path to a .js/.mjs file)',
    ]);
    expect(problems('routing:\n  routes:\n    gpt-4o: { strategy: cost }\n    gpt-4o-mini: { strategy: nope }\n')).toEqual([
      'routing.routes.gpt-4o-mini.strategy: unknown strategy "nope" (built-in: priority, cost, latency, health, weighted, headroom, score, slo; or a path to a .js/.mjs file)',
    ]);
  });

  it("refuses a strategy file that does not exist, resolved from the config file's folder", () => {
    expect(() => loadConfigFile(file('missing-strategy.yaml', 'routing: { strategy: ./missing.mjs }\n'), { env: {} })).toThrow(
      `routing.strategy: strategy file not found: ${join(dir, 'missing.mjs')}`,
    );
  });

  it('loads strategy files: one that does not export a function is refused with its key path', async () => {
    writeFileSync(join(dir, 'no-function.mjs'), 'export const nothing = 1;\n');
    writeFileSync(join(dir, 'broken.mjs'), 'export default (;\n');
    writeFileSync(join(dir, 'fine.mjs'), 'export default ({ candidates }) => candidates;\n');
    expect(await fileProblems('fine.yaml', 'routing: { strategy: ./fine.mjs }\n')).toEqual([]);
    const found = await fileProblems('bad-strategies.yaml', 'routing:\n  strategy: ./no-function.mjs\n  routes:\n    m: { strategy: ./broken.mjs }\n');
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^routing\.strategy: strategy "\.\/no-function\.mjs" must export a function/);
    expect(found[1]).toMatch(/^routing\.routes\.m\.strategy: strategy "\.\/broken\.mjs" failed to load: /);
  });

  it('refuses a redis.url ioredis cannot use, saying which part is wrong', () => {
    expect(problems('redis: { url: "redis://host:notaport" }\n')).toEqual(['redis.url: port "notaport" is not a number']);
    expect(problems('', { REDIS_URL: 'http://host:6379' })).toEqual(['redis.url: scheme "http:" is not redis: or rediss:']);
    expect(redisUrlProblem('redis://host:70000')).toBe('port 70000 is out of range (1-65535)');
    expect(redisUrlProblem('redis://host:6379/zero')).toBe('database "zero" is not a number');
    expect(redisUrlProblem('redis://:6379')).toBe('no host');
    expect(redisUrlProblem('localhost:6379')).toMatch(/^expected redis:\/\//);
    for (const ok of ['', 'redis://x:1', 'redis://127.0.0.1', 'rediss://user:p%40ss@cache.internal:6380/2', 'redis://[::1]:6379/0', '/run/redis.sock']) {
      expect(redisUrlProblem(ok)).toBeUndefined();
    }
  });
});

describe('provider tls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-tls-config-'));
  const pem = (name: string) => join(dir, name);
  const tlsProvider = (tls: string, base = 'https://127.0.0.1:1/v1') => `providers:\n  - name: a\n    type: openai\n    base_url: ${base}\n    tls: ${tls}\n`;

  beforeAll(() => {
    // A CA and a client certificate it signed; openssl is what an operator would use too.
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2'];
    execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', pem('ca-key.pem'), '-out', pem('ca.pem'), '-subj', '/CN=test CA', '-addext', 'basicConstraints=critical,CA:TRUE'], { stdio: 'ignore' });
    execFileSync('openssl', ['req', '-x509', ...ec, '-keyout', pem('client-key.pem'), '-out', pem('client.pem'), '-subj', '/CN=client', '-CA', pem('ca.pem'), '-CAkey', pem('ca-key.pem')], {
      stdio: 'ignore',
    });
    writeFileSync(pem('not-a-cert.pem'), 'hello\n');
  });

  it('reads the files relative to the config file, for that provider only', () => {
    const config = join(dir, 'tls.yaml');
    writeFileSync(
      config,
      `${tlsProvider('{ ca_file: ./ca.pem, cert_file: client.pem, key_file: client-key.pem, servername: upstream.internal }')}  - name: b\n    type: openai\n    base_url: https://127.0.0.1:2/v1\n`,
    );
    const loaded = loadConfigFile(config, { env: {} });
    const tls = loaded.tls.get('a');
    expect(tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(tls?.key?.toString()).toContain('PRIVATE KEY');
    expect(tls).toMatchObject({ rejectUnauthorized: true, servername: 'upstream.internal' });
    expect(loaded.tls.has('b')).toBe(false);
  });

  it('names the key and the file when a file is missing or unusable', () => {
    expect(problems(tlsProvider(`{ ca_file: ${pem('absent.pem')} }`))).toEqual([`providers[0].tls.ca_file: cannot read ${pem('absent.pem')}: ENOENT`]);
    expect(problems(tlsProvider(`{ ca_file: ${pem('not-a-cert.pem')} }`))).toEqual(['providers[0].tls.ca_file: no PEM certificate (-----BEGIN CERTIFICATE-----) in the file']);
    expect(problems(tlsProvider(`{ cert_file: ${pem('client.pem')}, key_file: ${pem('ca-key.pem')} }`))[0]).toMatch(/^providers\[0\]\.tls\.key_file: does not match cert_file/);
    expect(problems(tlsProvider(`{ cert_file: ${pem('client.pem')} }`))).toEqual(["providers[0].tls.key_file: required with cert_file (the client certificate's private key)"]);
    expect(problems(tlsProvider(`{ ca_file: ${pem('ca.pem')} }`, 'http://127.0.0.1:1/v1'))).toEqual(['providers[0].tls: applies to https:// base URLs only (base_url is http://)']);
    expect(problems(tlsProvider('{ verify: false }'))).toEqual(['providers[0].tls: unknown key "verify"']);
  });

  it('warns when certificates are not verified', () => {
    expect(parseConfig(tlsProvider('{ reject_unauthorized: false }'), '(inline)', { env: {} }).warnings.join('\n')).toMatch(/provider "a": tls.reject_unauthorized is false/);
  });
});

describe('auth.keys', () => {
  const base = 'providers: [{ name: a, type: openai_compatible, base_url: "http://127.0.0.1:1/v1", api_key: k }]\n';
  it('takes plain strings and named objects with a policy side by side', () => {
    const cfg = parseConfig(
      `${base}auth:\n  keys:\n    - sk-plain\n    - { key: \${TEAM}, name: team-a, models: [gpt-4o-mini], rate_limits: { requests_per_minute: 60 }, budget: { usd_per_day: 5 } }\n`,
      '(inline)',
      { env: { TEAM: 'sk-team' } },
    );
    expect(cfg.config.auth.keys).toEqual(['sk-plain', { key: 'sk-team', name: 'team-a', models: ['gpt-4o-mini'], rate_limits: { requests_per_minute: 60 }, budget: { usd_per_day: 5 } }]);
  });

  it('refuses a name used twice, a name that is not a plain word, and an unset key variable, naming the path', () => {
    expect(() => parseConfig(`${base}auth: { keys: [{ key: a, name: t }, { key: b, name: t }] }\n`, '(inline)', { env: {} })).toThrow(/auth\.keys\.1\.name|auth\.keys\[1\]\.name/);
    expect(() => parseConfig(`${base}auth: { keys: [{ key: a, name: "team a{" }] }\n`, '(inline)', { env: {} })).toThrow(/name/);
    expect(() => parseConfig(`${base}auth: { keys: [{ key: \${UNSET_TEAM_KEY}, name: t }] }\n`, '(inline)', { env: {} })).toThrow(/UNSET_TEAM_KEY/);
  });
});

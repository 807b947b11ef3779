/** `switchyard init` from the build, as `npx switchyard init` runs it; what it writes passes check-config. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = join(process.cwd(), 'dist/src/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-init-'));
const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 15_000 });

describe('switchyard init', () => {
  const env = { ANTHROPIC_API_KEY: 'sk-ant-init-0123456789', OPENROUTER_API_KEY: 'sk-or-init-0123456789', OLLAMA_HOST: '127.0.0.1:11434' };

  it('writes a commented config of the providers found in the environment, keys as references, that check-config accepts', () => {
    const file = join(dir, 'found.yaml');
    const r = run(['init', '--output', file], env);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`wrote ${file} (providers: anthropic, openrouter, ollama)`);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('api_key: ${ANTHROPIC_API_KEY}');
    expect(text).toContain('models: ["*/*"]');
    expect(text).toContain('base_url: "http://127.0.0.1:11434"');
    expect(text).toContain('fallback_chain: [anthropic, openrouter, ollama]');
    expect(text).not.toContain('sk-ant-init');
    expect(text).toMatch(/^# switchyard config/);

    const check = run(['check-config', file], env);
    expect(check.stderr).toBe('');
    expect(check.stdout).toContain('OK (3 usable providers: anthropic, openrouter, ollama; strategy priority)');
  });

  it('with no key variables, writes a config that discovers providers at start', () => {
    const file = join(dir, 'empty.yaml');
    expect(run(['init', `--output=${file}`]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('providers: []');
    const check = run(['check-config', file], { DEEPSEEK_API_KEY: 'sk-ds-0123456789' });
    expect(check.stdout).toContain('OK (1 usable provider: deepseek; strategy priority)');
  });

  it('refuses to overwrite a file without --force, and replaces it with --force', () => {
    const file = join(dir, 'exists.yaml');
    writeFileSync(file, 'keep: me\n');
    const refused = run(['init', '--output', file], env);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('exists; not overwritten (use --force to replace it)');
    expect(readFileSync(file, 'utf8')).toBe('keep: me\n');

    const forced = run(['init', '--output', file, '--force'], env);
    expect(forced.status).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('preset: anthropic');
  });

  it('refuses an unknown argument with usage', () => {
    const r = run(['init', '--outptu', 'x.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage: switchyard init [--output <file>] [--force]');
  });
});

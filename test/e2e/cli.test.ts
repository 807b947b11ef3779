import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';

// The CLI runs from the build (`npm test` builds first), exactly as `npx switchyard` would.
const CLI = join(process.cwd(), 'dist/src/cli.js');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));

function writeConfig(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

const run = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 15_000 });

describe('switchyard check-config', () => {
  it('accepts a valid file and exits 0', () => {
    const file = writeConfig('ok.yaml', 'providers:\n  - name: a\n    type: openai\n    base_url: http://127.0.0.1:1/v1\n    api_key: ${K}\nredis: { url: ${REDIS_URL:-} }\n');
    const r = run(['check-config', file], { K: 'sk-x' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/OK \(1 usable provider: a; strategy priority\)/);
  });

  it('accepts the shipped config.yaml', () => {
    const r = run(['check-config', join(process.cwd(), 'config.yaml')]);
    expect(r.status).toBe(0);
  });

  it('exits non-zero with readable errors naming the key path', () => {
    const file = writeConfig('bad.yaml', 'providers:\n  - name: a\n    type: openai\n    base_url: nowhere\ncircuit_breaker: { failure_threshold: -1 }\n');
    const r = run(['check-config', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('providers[0].base_url: must be an http(s) URL');
    expect(r.stderr).toContain('circuit_breaker.failure_threshold: Too small');
  });

  it('exits non-zero for a missing file and for an unknown strategy at serve time', () => {
    expect(run(['check-config', join(dir, 'missing.yaml')]).status).toBe(1);
    const file = writeConfig('strategy.yaml', 'routing: { strategy: clairvoyant }\n');
    const r = run(['serve', '--config', file, '--port', '0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('routing.strategy: unknown strategy "clairvoyant"');
  });
});

describe('switchyard serve', () => {
  let up: FakeUpstream;
  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
  });
  afterAll(async () => {
    await up.close();
  });

  it('serves on the --port given, with SWITCHYARD_CONFIG naming the file, and exits 0 on SIGTERM', async () => {
    const file = writeConfig('serve.yaml', `providers:\n  - name: alpha\n    type: openai_compatible\n    base_url: ${up.url}\n    api_key: \${ALPHA_KEY}\n`);
    const port = await freePort();
    const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], {
      env: { PATH: process.env.PATH, SWITCHYARD_CONFIG: file, ALPHA_KEY: 'sk-alpha-cli-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let health: Response | undefined;
      for (let i = 0; i < 100 && !health; i++) {
        health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.status).toBe(200);
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-switchyard-provider')).toBe('alpha');
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(out).toContain('switchyard listening');
    expect(out).not.toContain('sk-alpha-cli-secret');
  });
});

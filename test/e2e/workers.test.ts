import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { eventually, sharedRedisUrl } from '../support/redis-server.js';

const CLI = join(process.cwd(), 'dist/src/cli.js');

/** One request on a connection of its own (Node's cluster hands each connection to one worker). */
function once(port: number, path: string, body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', agent: false, headers: body ? { 'content-type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
    req.end(body);
  });
}

describe('server.workers', () => {
  let up: FakeUpstream;
  let redis: { url: string; close(): Promise<void> };
  let child: ChildProcess;
  let port: number;
  let exited: Promise<number | null>;
  let out = '';

  beforeAll(async () => {
    up = await FakeUpstream.start('alpha');
    redis = await sharedRedisUrl();
    port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-workers-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(
      file,
      `server: { workers: 2 }\nproviders:\n  - { name: alpha, type: openai_compatible, base_url: "${up.url}", api_key: sk-alpha-worker-secret }\nredis: { url: ${redis.url}, key_prefix: "workers-${randomUUID()}:" }\n`,
    );
    child = spawn(process.execPath, [CLI, 'serve', '--config', file, '--port', String(port)], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    expect(await eventually(async () => (await once(port, '/health').catch(() => ({ status: 0 }))).status === 200, 15_000)).toBe(true);
  }, 30_000);
  afterAll(async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await up.close();
    await redis.close();
  });

  const pidOf = async () => (JSON.parse((await once(port, '/admin/health')).text) as { instance: { pid: number; worker: number | null } }).instance;

  it('serves one port from two processes, and starts another when one dies', async () => {
    const pids = new Set<number>();
    await new Promise((r) => setTimeout(r, 3000));
    expect(await eventually(async () => pids.add((await pidOf()).pid).size === 2, 10_000)).toBe(true);
    expect([...pids]).not.toContain(child.pid);
    for (let i = 0; i < 20; i++) expect((await once(port, '/v1/chat/completions', JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }))).status).toBe(200);

    const [victim] = [...pids] as [number];
    process.kill(victim, 'SIGKILL');
    // Once the primary has seen it go, requests keep being served by the other, and a new worker takes its place.
    expect(await eventually(() => out.includes('worker exited: starting another'), 10_000)).toBe(true);
    for (let i = 0; i < 5; i++) expect((await once(port, '/v1/chat/completions', JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }))).status).toBe(200);
    const now = new Set<number>();
    expect(await eventually(async () => now.add((await pidOf()).pid).size === 2 && !now.has(victim), 20_000)).toBe(true);
  }, 45_000);

  it('drains every worker on SIGTERM and exits 0', async () => {
    const workers = spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
    expect(workers.length).toBe(2);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
    expect(out).toContain('workers forked');
    expect(out).not.toContain('sk-alpha-worker-secret');
  });
});

describe('server.workers without redis', () => {
  it('is refused at load, saying why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-workers-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'server: { workers: 2 }\nproviders:\n  - { name: alpha, type: openai_compatible, base_url: "http://127.0.0.1:1/v1", api_key: k }\n');
    const r = spawnSync(process.execPath, [CLI, 'check-config', file], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/server\.workers: more than one worker needs redis/);
  });
});

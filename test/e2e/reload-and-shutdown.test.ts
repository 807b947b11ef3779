import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/load.js';
import { type RunningGateway, startGateway } from '../../src/server.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { freePort } from '../support/free-port.js';
import { eventually } from '../support/redis-server.js';

const dir = mkdtempSync(join(tmpdir(), 'switchyard-reload-'));
const hi = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
const provider = (name: string, url: string) => `  - name: ${name}\n    type: openai_compatible\n    base_url: ${url}\n    api_key: sk-${name}\n`;

describe('hot reload', () => {
  let a: FakeUpstream;
  let b: FakeUpstream;
  let file: string;
  let running: RunningGateway;
  const logs: string[] = [];
  const client = () => new OpenAI({ baseURL: `${running.url}/v1`, apiKey: 'x', maxRetries: 0 });
  const servedBy = async () => (await client().chat.completions.create(hi).withResponse()).response.headers.get('x-switchyard-provider');
  const health = async () =>
    (await (await fetch(`${running.url}/admin/health`)).json()) as { providers: Record<string, { circuit: string }>; config: { last_reload?: { ok: boolean; error?: string; at: string } } };
  const reload = () => fetch(`${running.url}/admin/reload`, { method: 'POST' });

  beforeAll(async () => {
    a = await FakeUpstream.start('alpha');
    b = await FakeUpstream.start('beta');
    file = join(dir, 'config.yaml');
    writeFileSync(file, `providers:\n${provider('alpha', a.url)}circuit_breaker: { failure_threshold: 1, cooldown_seconds: 600 }\n`);
    const sink = new Writable({
      write: (c: Buffer, _e, cb) => {
        logs.push(...c.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    running = await startGateway(loadConfigFile(file), { logger: createLogger('info', sink), host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await running.close();
    await a.close();
    await b.close();
  });
  beforeEach(() => {
    a.reset();
    b.reset();
  });

  it('swaps to a new config under load with no failed request', async () => {
    let ok = 0;
    let failed = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        try {
          await client().chat.completions.create(hi);
          ok += 1;
        } catch {
          failed += 1;
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await eventually(() => ok > 20);
    writeFileSync(file, `providers:\n${provider('beta', b.url)}${provider('alpha', a.url)}circuit_breaker: { failure_threshold: 1, cooldown_seconds: 600 }\n`);
    const res = await reload();
    expect(res.status).toBe(200);
    const before = ok;
    await eventually(() => ok > before + 20);
    stop = true;
    await Promise.all(workers);
    expect(failed).toBe(0);
    expect(await servedBy()).toBe('beta');
    expect((await health()).config.last_reload?.ok).toBe(true);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    expect(metrics).toMatch(/^switchyard_config_reloads_total\{result="success"\} [1-9]/m);
  });

  it('refuses an invalid config, says why, and keeps serving the old one', async () => {
    writeFileSync(file, `providers:\n  - name: beta\n    type: openai_compatible\n    base_url: not-a-url\n`);
    const res = await reload();
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('invalid_config');
    expect(body.error.message).toContain('providers[0].base_url');
    const h = await health();
    expect(h.config.last_reload).toMatchObject({ ok: false });
    expect(h.config.last_reload?.error).toContain('base_url');
    expect(await servedBy()).toBe('beta');
    expect(logs.some((l) => l.includes('config reload refused'))).toBe(true);
    const metrics = await (await fetch(`${running.url}/metrics`)).text();
    // The file watch may refuse the same file a second time: counted at least once.
    expect(metrics).toMatch(/^switchyard_config_reloads_total\{result="failure"\} [1-9]\d*$/m);
  });

  it('keeps the breaker state and stats of providers that remain', async () => {
    writeFileSync(file, `providers:\n${provider('beta', b.url)}${provider('alpha', a.url)}circuit_breaker: { failure_threshold: 1, cooldown_seconds: 600 }\n`);
    expect((await reload()).status).toBe(200);
    b.enqueue({ kind: 'status', status: 503 });
    expect(await servedBy()).toBe('alpha'); // beta failed once: its breaker opens (threshold 1)
    expect((await health()).providers.beta!.circuit).toBe('open');
    const statsBefore = (await (await fetch(`${running.url}/stats`)).json()) as { providers: Record<string, { requests: number }> };
    writeFileSync(file, `providers:\n${provider('beta', b.url)}${provider('alpha', a.url)}circuit_breaker: { failure_threshold: 1, cooldown_seconds: 600 }\nrouting: { request_timeout_ms: 60000 }\n`);
    expect((await reload()).status).toBe(200);
    expect((await health()).providers.beta!.circuit).toBe('open');
    const statsAfter = (await (await fetch(`${running.url}/stats`)).json()) as { providers: Record<string, { requests: number }> };
    expect(statsAfter.providers.beta!.requests).toBe(statsBefore.providers.beta!.requests);
    await fetch(`${running.url}/admin/circuit/beta/reset`, { method: 'POST' });
  });

  it('lets a request in flight finish on the config it started with', async () => {
    a.setDefault({ kind: 'ok', delayMs: 400 });
    writeFileSync(file, `providers:\n${provider('alpha', a.url)}`);
    expect((await reload()).status).toBe(200);
    const slow = client().chat.completions.create(hi).withResponse();
    await eventually(() => a.requests.length === 1);
    writeFileSync(file, `providers:\n${provider('beta', b.url)}`);
    expect((await reload()).status).toBe(200);
    const { data, response } = await slow;
    expect(data.choices[0]?.message.content).toBe('Hello from alpha');
    expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(await servedBy()).toBe('beta');
  });

  it('reloads by itself when the file changes', async () => {
    writeFileSync(file, `providers:\n${provider('alpha', a.url)}${provider('beta', b.url)}routing: { fallback_chain: [alpha, beta] }\n`);
    // The watcher may first report an earlier test's write: wait for the reload that serves this file.
    expect(await eventually(async () => (await servedBy()) === 'alpha', 5000)).toBe(true);
    expect((await health()).config.last_reload?.ok).toBe(true);
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM stops taking requests, lets a long stream finish, and exits 0', async () => {
    const up = await FakeUpstream.start('alpha');
    up.setDefault({ kind: 'ok', chunkDelayMs: 150, text: 'one two three four five six seven eight' });
    const file = join(dir, 'shutdown.yaml');
    writeFileSync(file, `providers:\n${provider('alpha', up.url)}`);
    const port = await freePort();
    const child = spawn(process.execPath, [join(process.cwd(), 'dist/src/cli.js'), 'serve', '--config', file, '--port', String(port)], {
      env: { PATH: process.env.PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      expect(await eventually(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status === 200, 10_000)).toBe(true);
      const c = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'x', maxRetries: 0 });
      const stream = await c.chat.completions.create({ ...hi, stream: true });
      let text = '';
      let signalled = false;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (!signalled && text.length > 0) {
          signalled = true;
          child.kill('SIGTERM');
          // No new request is taken: a new connection is refused, one kept alive gets 503 shutting_down.
          const refused = await eventually(async () => {
            const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
            return r === undefined || r.status === 503;
          }, 3000);
          expect(refused).toBe(true);
        }
      }
      expect(text).toBe('one two three four five six seven eight');
      expect(await exited).toBe(0);
      expect(out).toContain('draining');
    } finally {
      child.kill('SIGKILL');
      await up.close();
    }
  });
});

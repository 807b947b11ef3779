import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Overview } from '../../src/http/dashboard/overview.js';
import { ansiToHtml, stripAnsi } from '../support/ansi-html.js';
import { launchBrowser } from '../support/browser.js';
import { TmuxPane } from '../support/tmux.js';

const CLI = join(process.cwd(), 'dist/src/cli.js');
// The README's pictures of the dashboard and of `status --watch` are refreshed with UPDATE_SCREENSHOTS=1.
const SHOTS = process.env.UPDATE_SCREENSHOTS === '1' ? join(process.cwd(), 'docs') : mkdtempSync(join(tmpdir(), 'switchyard-demo-shots-'));

interface Sse {
  type: string;
  [field: string]: unknown;
}

/** Follows /admin/events until `until` says enough, or `ms` pass. */
async function collectEvents(url: string, key: string, until: (events: Sse[]) => boolean, ms: number): Promise<Sse[]> {
  const events: Sse[] = [];
  const res = await fetch(`${url}/admin/events?types=failover,breaker`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(ms) });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    while (!until(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
        const data = /^data: (.*)$/m.exec(buffer.slice(0, i))?.[1];
        buffer = buffer.slice(i + 2);
        if (data) events.push(JSON.parse(data) as Sse);
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return events;
}

/** The demo's dashboard in the browser and its `status --watch` in a terminal, as the README shows them. */
async function picture(url: string, key: string): Promise<void> {
  const pane = new TmuxPane(`${process.execPath} ${CLI} status --url ${url} --key ${key} --watch --interval 0.5`, 118, 12);
  // The pane is closed whatever happens, a browser that fails to start included.
  const browser = await launchBrowser().catch((err: unknown) => {
    pane.close();
    throw err;
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 760 } });
    await page.addInitScript(`sessionStorage.setItem('switchyard-admin-key', ${JSON.stringify(key)})`);
    await page.goto(`${url}/dashboard`);
    for (const name of ['sim-openai', 'sim-anthropic', 'sim-gemini']) await page.locator(`[data-provider="${name}"] .circuit`).waitFor({ timeout: 5000 });
    // The feed shows what happens from the page's opening on: the next failover or breaker change (a probe within 5 s).
    await expect.poll(() => page.locator('#events li').count(), { timeout: 8000 }).toBeGreaterThan(0);
    await page.screenshot({ path: join(SHOTS, 'dashboard.png') });
    expect(readFileSync(join(SHOTS, 'dashboard.png')).subarray(1, 4).toString()).toBe('PNG');
    await expect.poll(() => pane.screen(), { timeout: 5000 }).toMatch(/^sim-gemini +(open|half-open|closed)/m);
    expect(pane.screen()).toMatch(/^sim-openai +closed/m);
    const screen = pane.screen(true).trimEnd();
    writeFileSync(join(SHOTS, 'status.txt'), `${stripAnsi(screen)}\n`);
    const terminal = await browser.newPage({ viewport: { width: 1000, height: 300 } });
    await terminal.setContent(ansiToHtml(screen));
    await terminal.locator('#screen').screenshot({ path: join(SHOTS, 'status.png') });
  } finally {
    await browser.close();
    pane.close();
  }
}

describe('switchyard demo', () => {
  it('runs simulated providers with incidents for a bounded time: failovers and a breaker opening are seen at /admin/events', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--duration', '20', '--port', '0'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => stdout, { timeout: 10_000 }).toMatch(/admin key +\S+/);
      const url = /dashboard +(http:\/\/127\.0\.0\.1:\d+)\/dashboard/.exec(stdout)![1]!;
      const key = /admin key +(\S+)/.exec(stdout)![1]!;
      expect(stdout).toContain('every provider here is SIMULATED');

      const overview = (await (await fetch(`${url}/admin/overview`, { headers: { authorization: `Bearer ${key}` } })).json()) as Overview;
      expect(overview.providers.map((p) => p.name).sort()).toEqual(['sim-anthropic', 'sim-gemini', 'sim-openai']);
      expect(overview.strategy).toBe('cost');
      const answer = (await (
        await fetch(`${url}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
        })
      ).json()) as { choices: Array<{ message: { content: string } }> };
      expect(answer.choices[0]!.message.content).toMatch(/^\[SIMULATED sim-/);

      // The first incident: the cheapest provider (sim-gemini) stops answering; requests fail over and its breaker opens.
      const events = await collectEvents(url, key, (es) => es.some((e) => e.type === 'breaker' && e.provider === 'sim-gemini' && e.to === 'open'), 12_000);
      expect(events.some((e) => e.type === 'failover' && e.from === 'sim-gemini' && e.to === 'sim-anthropic')).toBe(true);
      expect(events.some((e) => e.type === 'breaker' && e.provider === 'sim-gemini' && e.to === 'open')).toBe(true);
      await picture(url, key);

      expect(await exited).toBe(0);
      expect(stdout).toContain('SIMULATED incident: sim-gemini stops answering');
      expect(stdout).toMatch(/breaker sim-gemini opened/);
      expect(stdout).toMatch(/demo over: \d+ of \d+ requests answered .*All providers were SIMULATED/);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  }, 40_000);
});

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Overview } from '../../src/http/dashboard/overview.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';
import { TmuxPane } from '../support/tmux.js';

// The CLI runs from the build (`npm test` builds first), as `npx switchyard` would; asynchronously, so the
// gateway in this process keeps answering it.
const CLI = join(process.cwd(), 'dist/src/cli.js');
const ADMIN = 'adm-status-key-0123456789';
const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };

async function status(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [CLI, 'status', ...args], { env: { PATH: process.env.PATH }, timeout: 15_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('switchyard status', () => {
  const s = useGateway(
    ['alpha', 'beta'],
    (f) =>
      providersYaml([
        { name: 'alpha', url: f.alpha.url },
        { name: 'beta', url: f.beta.url },
      ]) + `auth: { admin_keys: [${ADMIN}] }\ncircuit_breaker: { failure_threshold: 2, cooldown_seconds: 600 }\n`,
  );
  const openAlpha = async () => {
    s.alpha.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
    const client = s.client();
    await client.chat.completions.create(ask);
    await client.chat.completions.create(ask);
    expect(s.gw.gateway.breakers.state('alpha')).toBe('open');
  };
  beforeEach(() => s.gw.gateway.breakers.reset('alpha'));

  it('--json prints the overview and exits 0 while no breaker is open, 1 once one is', async () => {
    await s.client().chat.completions.create(ask);
    const ok = await status(['--url', s.gw.url, '--key', ADMIN, '--json']);
    expect(ok.code).toBe(0);
    const data = JSON.parse(ok.stdout) as Overview;
    expect(data.providers.map((p) => [p.name, p.circuit])).toEqual([
      ['alpha', 'closed'],
      ['beta', 'closed'],
    ]);
    expect(data.providers[0]!.today.requests).toBeGreaterThanOrEqual(1);
    await openAlpha();
    const open = await status(['--url', s.gw.url, '--key', ADMIN, '--json']);
    expect(open.code).toBe(1);
    expect((JSON.parse(open.stdout) as Overview).open_breakers).toEqual(['alpha']);
  });

  it('prints a plain table without a terminal, and exits 3 with the reason when refused or unreachable', async () => {
    const table = await status(['--url', s.gw.url, '--key', ADMIN]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^PROVIDER +CIRCUIT/m);
    expect(table.stdout).toMatch(/^alpha +closed/m);
    expect(table.stdout).not.toContain('\x1b[');
    const refused = await status(['--url', s.gw.url, '--key', 'wrong-key']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('answered 401: A valid admin key is required');
    const gone = await status(['--url', 'http://127.0.0.1:1', '--key', ADMIN]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain('is not reachable');
    expect((await status(['--interval', 'soon'])).code).toBe(2);
  });

  describe('--watch in a terminal (tmux)', () => {
    let pane: TmuxPane | undefined;
    afterEach(() => pane?.close());

    it('redraws the table in place, in colour, shows a breaker opening, and stops on Ctrl-C', async () => {
      pane = new TmuxPane(`${process.execPath} ${CLI} status --url ${s.gw.url} --key ${ADMIN} --watch --interval 0.2`);
      const p = pane;
      await expect.poll(() => p.screen(), { timeout: 5000 }).toMatch(/^beta +closed/m);
      await openAlpha();
      await expect.poll(() => p.screen(), { timeout: 5000 }).toMatch(/^alpha +open/m);
      const text = p.screen();
      // Redrawn in place: one title, one header, not a scroll of tables.
      expect(text.match(/^switchyard /gm)).toHaveLength(1);
      expect(text.match(/^PROVIDER /gm)).toHaveLength(1);
      expect(text).toContain('open breakers: alpha');
      expect(p.screen(true)).toContain('\x1b[31mopen');
      p.sendKeys('C-c');
      await expect.poll(() => p.alive(), { timeout: 5000 }).toBe(false);
    });
  });
});

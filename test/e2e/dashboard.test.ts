import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Overview } from '../../src/http/dashboard/overview.js';
import { launchBrowser } from '../support/browser.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const ADMIN = 'adm-dashboard-key-0123456789';
const ask = { model: 'm', messages: [{ role: 'user' as const, content: 'hi' }] };
// Kept for a look after a failure (the README's screenshot comes from the demo's test).
const SHOTS = mkdtempSync(join(tmpdir(), 'switchyard-shots-'));

describe('GET /dashboard', () => {
  const s = useGateway(
    ['alpha', 'beta', 'gamma'],
    (f) =>
      providersYaml([
        { name: 'alpha', url: f.alpha.url, extra: '    pricing: { m: { input: 0.15, output: 0.6 } }\n' },
        { name: 'beta', url: f.beta.url, extra: '    pricing: { m: { input: 2.5, output: 10 } }\n' },
        { name: 'gamma', url: f.gamma.url },
      ]) + `auth: { admin_keys: [${ADMIN}] }\ncircuit_breaker: { failure_threshold: 2, cooldown_seconds: 600 }\n`,
  );
  let browser: Browser;
  const admin = { authorization: `Bearer ${ADMIN}` };

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('serves the page without a key, under a same-origin CSP, and keeps the data admin-only', async () => {
    const page = await fetch(`${s.gw.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<script type="module" src="/dashboard/app.js">');
    expect((await fetch(`${s.gw.url}/dashboard/app.js`)).headers.get('content-type')).toContain('text/javascript');
    expect((await fetch(`${s.gw.url}/dashboard/../package.json`)).status).toBe(404);
    expect((await fetch(`${s.gw.url}/dashboard/overview.ts`)).status).toBe(404);
    const slash = await fetch(`${s.gw.url}/dashboard/`, { redirect: 'manual' });
    expect([slash.status, slash.headers.get('location')]).toEqual([301, '/dashboard']);
    expect(await (await fetch(`${s.gw.url}/dashboard/auth`)).json()).toEqual({ key_required: true });
    expect((await fetch(`${s.gw.url}/admin/overview`)).status).toBe(401);
    const overview = (await (await fetch(`${s.gw.url}/admin/overview`, { headers: admin })).json()) as Overview;
    expect(overview.providers.map((p) => p.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect(overview.source).toBe('local');
  });

  it('shows every provider live, reflects a breaker opening within 2 s, and its reset button closes it', async () => {
    const client = s.client({ maxRetries: 0 });
    for (let i = 0; i < 3; i++) await client.chat.completions.create(ask);
    const page: Page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(String(e)));
    try {
      await page.goto(`${s.gw.url}/dashboard`);
      await page.locator('#key').fill(ADMIN);
      await page.locator('#login button[type=submit]').click();
      for (const name of ['alpha', 'beta', 'gamma']) {
        await expect.poll(() => page.locator(`[data-provider="${name}"] .circuit`).textContent(), { timeout: 5000 }).toBe('closed');
      }
      await expect.poll(() => page.locator('[data-provider="alpha"] dd').first().textContent(), { timeout: 5000 }).toBe('3');
      // The feed is connected before anything happens (else an event could pass unseen).
      await expect.poll(() => page.locator('#feed-state').textContent(), { timeout: 5000 }).toBe('live');

      // Two failures open alpha's breaker (the requests fail over to beta); the page must show it within 2 s.
      s.alpha.enqueue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 });
      await client.chat.completions.create(ask);
      await client.chat.completions.create(ask);
      expect(s.gw.gateway.breakers.state('alpha')).toBe('open');
      const alpha = page.locator('[data-provider="alpha"]');
      await expect.poll(() => alpha.getAttribute('data-circuit'), { timeout: 2000 }).toBe('open');
      await expect.poll(() => page.locator('#events li.open').first().textContent(), { timeout: 2000 }).toContain('alpha: closed → open');
      expect(await page.locator('#events li.failover').first().textContent()).toContain('alpha → beta');
      await page.screenshot({ path: join(SHOTS, 'dashboard.png'), fullPage: true });

      await alpha.locator('button.reset').click();
      await expect.poll(() => alpha.getAttribute('data-circuit'), { timeout: 5000 }).toBe('closed');
      expect(s.gw.gateway.breakers.state('alpha')).toBe('closed');
      expect(readFileSync(join(SHOTS, 'dashboard.png')).subarray(1, 4).toString()).toBe('PNG');
      expect(problems).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('reloads the config from its button and shows what the gateway answered', async () => {
    const page = await browser.newPage();
    try {
      await page.addInitScript(`sessionStorage.setItem('switchyard-admin-key', ${JSON.stringify(ADMIN)})`);
      await page.goto(`${s.gw.url}/dashboard`);
      await page.locator('[data-provider="alpha"]').waitFor({ timeout: 5000 });
      await page.locator('#reload').click();
      // This gateway's config is inline, not a file: the gateway refuses, and the page says why in its words.
      await expect.poll(() => page.locator('#notice').textContent(), { timeout: 5000 }).toContain('Config reload refused');
      const direct = (await (await fetch(`${s.gw.url}/admin/reload`, { method: 'POST', headers: admin })).json()) as { error: { message: string } };
      expect(await page.locator('#notice').textContent()).toBe(direct.error.message);
    } finally {
      await page.close();
    }
  });

  it('asks for no key when the gateway has no admin keys (loopback only)', async () => {
    const open = await s.startGateway((f) => providersYaml([{ name: 'solo', url: f.alpha.url }]));
    const page = await browser.newPage();
    try {
      await page.goto(`${open.url}/dashboard`);
      await expect.poll(() => page.locator('[data-provider="solo"] .circuit').textContent(), { timeout: 5000 }).toBe('closed');
      expect(await page.locator('#login').isHidden()).toBe(true);
      expect(await page.locator('#forget').isHidden()).toBe(true);
    } finally {
      await page.close();
    }
  });

  it('reads well on a phone-sized screen: cards stack in one column', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    try {
      await page.addInitScript(`sessionStorage.setItem('switchyard-admin-key', ${JSON.stringify(ADMIN)})`);
      await page.goto(`${s.gw.url}/dashboard`);
      await page.locator('[data-provider="gamma"]').waitFor({ timeout: 5000 });
      const boxes = await Promise.all(['alpha', 'beta'].map((n) => page.locator(`[data-provider="${n}"]`).boundingBox()));
      expect(boxes[0]!.x).toBe(boxes[1]!.x);
      expect(boxes[1]!.y).toBeGreaterThan(boxes[0]!.y);
      expect(boxes[0]!.x + boxes[0]!.width).toBeLessThanOrEqual(390);
    } finally {
      await page.close();
    }
  });
});

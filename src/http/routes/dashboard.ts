import type { Hono } from 'hono';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../app.js';
import { dashboardAssets } from '../dashboard/assets.js';
import { buildOverview } from '../dashboard/overview.js';
import { RateSampler } from '../dashboard/rates.js';

/** The page may load only its own files and talk only to its own origin. */
const PAGE_HEADERS = {
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

/**
 * The operators' dashboard. `GET /dashboard` and its files are static and public (they hold no data:
 * a browser cannot send a Bearer header when it navigates); the page asks for the admin key once, keeps
 * it in sessionStorage and sends it on its calls to `GET /admin/overview`, `GET /admin/events` and the
 * admin actions, which stay behind the admin guard (mounted after it). `GET /dashboard/auth` tells the
 * page whether to ask.
 *
 * @example
 * mountDashboard(app, gateway); // open http://localhost:8000/dashboard
 */
export function mountDashboard(app: Hono<AppEnv>, gateway: Gateway): void {
  const assets = dashboardAssets();
  const sampler = new RateSampler();
  const page = assets.get('index.html')!;
  app.get('/dashboard', (c) => c.body(page.body, 200, { ...PAGE_HEADERS, 'content-type': page.type }));
  app.get('/dashboard/', (c) => c.redirect('/dashboard', 301));
  app.get('/dashboard/auth', (c) => c.json({ key_required: (gateway.config.auth.admin_keys?.length ?? 0) > 0 }, 200, PAGE_HEADERS));
  app.get('/dashboard/:file', (c) => {
    const file = c.req.param('file');
    const asset = file === 'index.html' ? undefined : assets.get(file);
    if (!asset) return c.notFound();
    return c.body(asset.body, 200, { ...PAGE_HEADERS, 'content-type': asset.type });
  });
  app.get('/admin/overview', async (c) => c.json(await buildOverview(gateway, sampler)));
}

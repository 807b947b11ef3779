import type { Hono } from 'hono';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../app.js';
import { isOutage } from '../../providers/status-pages.js';
import { badRequest, errorJson } from '../errors.js';
import { GROUPS, PERIODS, type GroupBy, type Period } from '../../telemetry/usage-ledger.js';

const json = { 'content-type': 'application/json' };

/** GET /health, /stats, /metrics: what operators and load balancers read. */
export function mountOps(app: Hono<AppEnv>, gateway: Gateway): void {
  app.get('/health', (c) => {
    const providers: Record<string, { circuit: string; status_page?: string; keys_available?: number }> = {};
    let usable = 0;
    let healthy = 0;
    const now = gateway.clock();
    for (const name of gateway.chain) {
      const state = gateway.breakers.state(name);
      const page = gateway.statusPages.get(name);
      const ring = gateway.keyRings.get(name)!;
      providers[name] = { circuit: state, ...(page ? { status_page: page } : {}), ...(ring.size > 1 ? { keys_available: ring.available(now) } : {}) };
      if (state !== 'open') usable += 1;
      if (state !== 'open' && !isOutage(page)) healthy += 1;
    }
    const total = gateway.chain.length;
    const status = total === 0 || usable === 0 ? 'unavailable' : healthy === total ? 'ok' : 'degraded';
    const last = gateway.runtime.lastReload;
    const config = { source: gateway.loaded.source, ...(last ? { last_reload: last } : {}) };
    return c.json({ status, uptime_seconds: Math.round((Date.now() - gateway.startedAt) / 1000), providers, config }, status === 'unavailable' ? 503 : 200);
  });

  app.get('/stats', async (c) => {
    const now = gateway.clock();
    const report = await gateway.measurements.stats(now);
    const providers: Record<string, unknown> = {};
    for (const name of gateway.chain) {
      providers[name] = { circuit: gateway.breakers.state(name), ...report.providers[name] };
    }
    return c.json({ strategy: gateway.config.routing.strategy, source: report.source, providers });
  });

  app.get('/usage', async (c) => {
    const period = (c.req.query('period') ?? 'today') as Period;
    const groupBy = (c.req.query('group_by') ?? 'provider') as GroupBy;
    if (!PERIODS.includes(period)) return c.body(errorJson(badRequest(`period must be one of ${PERIODS.join(', ')}`, 'period')), 400, json);
    if (!GROUPS.includes(groupBy)) return c.body(errorJson(badRequest(`group_by must be one of ${GROUPS.join(', ')}`, 'group_by')), 400, json);
    return c.json(await gateway.measurements.usage(period, groupBy, gateway.clock()));
  });

  app.get('/metrics', async (c) => {
    for (const name of gateway.chain) gateway.metrics.setCircuitState(name, gateway.breakers.state(name));
    const text = await gateway.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': gateway.metrics.registry.contentType });
  });
}

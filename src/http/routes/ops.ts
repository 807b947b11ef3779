import cluster from 'node:cluster';
import type { Hono } from 'hono';
import { gatewayError } from '../../core/errors.js';
import type { Gateway } from '../../gateway.js';
import { isOutage } from '../../providers/status-pages.js';
import { GROUPS, type GroupBy, PERIODS, type Period } from '../../telemetry/usage-ledger.js';
import type { AppEnv } from '../app.js';
import { adminRefusal, matchesAnyKey } from '../auth.js';
import { errorJson } from '../errors.js';

const json = { 'content-type': 'application/json' };

/** GET /health, /stats, /metrics: what operators and load balancers read. */
export function mountOps(app: Hono<AppEnv>, gateway: Gateway): void {
  // Public: what a load balancer needs (status, and each provider's circuit). Details (status pages,
  // keys available, the config file and the last reload) only for an admin key, or at /admin/health.
  app.get('/health', (c) => {
    const admin = gateway.config.auth.admin_keys;
    const detailed = admin !== undefined && admin.length > 0 && matchesAnyKey(c.req.header('authorization'), admin);
    const report = healthReport(gateway, detailed);
    return c.json(report, report.status === 'unavailable' ? 503 : 200);
  });

  app.get('/stats', async (c) => {
    const now = gateway.clock();
    const report = await gateway.measurements.stats(now);
    const providers: Record<string, unknown> = {};
    for (const name of gateway.chain) {
      providers[name] = { circuit: gateway.breakers.state(name), ...report.providers[name] };
    }
    return c.json({ strategy: gateway.view().routing.strategy, mode: gateway.modes.active ?? null, source: report.source, providers });
  });

  app.get('/usage', async (c) => {
    const period = (c.req.query('period') ?? 'today') as Period;
    const groupBy = (c.req.query('group_by') ?? 'provider') as GroupBy;
    if (!PERIODS.includes(period)) return c.body(errorJson(gatewayError('invalid_query', `period must be one of ${PERIODS.join(', ')}`, 'period')), 400, json);
    if (!GROUPS.includes(groupBy)) return c.body(errorJson(gatewayError('invalid_query', `group_by must be one of ${GROUPS.join(', ')}`, 'group_by')), 400, json);
    if (groupBy === 'key') {
      // Which keys spend what is for operators: the same guard as /admin.
      const refused = adminRefusal(gateway, c.req.header('authorization'), c.env.incoming.socket.remoteAddress);
      if (refused) return c.body(errorJson(refused), refused.status as 401 | 403, json);
    }
    return c.json(await gateway.measurements.usage(period, groupBy, gateway.clock()));
  });

  app.get('/metrics', async (c) => {
    for (const name of gateway.chain) gateway.metrics.setCircuitState(name, gateway.breakers.state(name));
    const text = await gateway.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': gateway.metrics.registry.contentType });
  });
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'unavailable';
  /** The routing mode in force (`modes`), or null. */
  mode: string | null;
  uptime_seconds: number;
  providers: Record<string, { circuit: string; status_page?: string; keys_available?: number }>;
  config?: { source: string; last_reload?: { at: string; ok: boolean; error?: string } };
  /** Which process answered: its pid, and its worker number under `server.workers` (null when it runs alone). */
  instance?: { pid: number; worker: number | null };
}

/** The gateway's health; `detailed` adds what only operators should see. */
export function healthReport(gateway: Gateway, detailed: boolean): HealthReport {
  const providers: HealthReport['providers'] = {};
  let usable = 0;
  let healthy = 0;
  const now = gateway.clock();
  for (const name of gateway.chain) {
    const state = gateway.breakers.state(name);
    const page = gateway.statusPages.get(name);
    const ring = gateway.providers.get(name)?.keys;
    providers[name] = { circuit: state, ...(detailed && page ? { status_page: page } : {}), ...(detailed && ring && ring.size > 1 ? { keys_available: ring.available(now) } : {}) };
    if (state !== 'open') usable += 1;
    if (state !== 'open' && !isOutage(page)) healthy += 1;
  }
  const total = gateway.chain.length;
  const status = total === 0 || usable === 0 ? 'unavailable' : healthy === total ? 'ok' : 'degraded';
  const report: HealthReport = { status, mode: gateway.modes.active ?? null, uptime_seconds: Math.round((Date.now() - gateway.startedAt) / 1000), providers };
  if (detailed) {
    const last = gateway.runtime.lastReload;
    report.config = { source: gateway.loaded.source, ...(last ? { last_reload: last } : {}) };
    report.instance = { pid: process.pid, worker: cluster.worker?.id ?? null };
  }
  return report;
}

import type { Hono } from 'hono';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../app.js';

/** GET /health, /stats, /metrics: what operators and load balancers read. */
export function mountOps(app: Hono<AppEnv>, gateway: Gateway): void {
  app.get('/health', (c) => {
    const providers: Record<string, { circuit: string }> = {};
    let closed = 0;
    for (const name of gateway.chain) {
      const state = gateway.breakers.state(name);
      providers[name] = { circuit: state };
      if (state !== 'open') closed += 1;
    }
    const total = gateway.chain.length;
    const status = total === 0 ? 'unavailable' : closed === total ? 'ok' : closed === 0 ? 'unavailable' : 'degraded';
    return c.json({ status, uptime_seconds: Math.round((Date.now() - gateway.startedAt) / 1000), providers }, status === 'unavailable' ? 503 : 200);
  });

  app.get('/stats', (c) => {
    const now = Date.now();
    const providers: Record<string, unknown> = {};
    for (const name of gateway.chain) {
      const r = gateway.stats.get(name)!.report(now);
      providers[name] = {
        circuit: gateway.breakers.state(name),
        requests: r.requests,
        successes: r.successes,
        failures: r.failures,
        rejected: r.rejected,
        latency_ms: r.latency_ms,
        tokens: { prompt: r.promptTokens, completion: r.completionTokens, total: r.promptTokens + r.completionTokens },
        cost_usd: r.costUsd,
      };
    }
    return c.json({ strategy: gateway.config.routing.strategy, providers });
  });

  app.get('/metrics', async (c) => {
    for (const name of gateway.chain) gateway.metrics.setCircuitState(name, gateway.breakers.state(name));
    const text = await gateway.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': gateway.metrics.registry.contentType });
  });
}

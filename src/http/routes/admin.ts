import type { Hono } from 'hono';
import { gatewayError } from '../../core/errors.js';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../app.js';
import { adminRefusal } from '../auth.js';
import { errorJson } from '../errors.js';
import { mountEvents } from './events.js';
import { mountKeys } from './keys.js';
import { healthReport } from './ops.js';

/**
 * /admin/*: with `auth.admin_keys` set, a Bearer admin key is required; without, only loopback
 * clients are answered, so a local operator needs no setup and a remote stranger gets nothing.
 */
export function mountAdmin(app: Hono<AppEnv>, gateway: Gateway): void {
  app.use('/admin/*', async (c, next) => {
    const refused = adminRefusal(gateway, c.req.header('authorization'), c.env.incoming.socket.remoteAddress);
    if (refused) return c.body(errorJson(refused), refused.status as 401 | 403, { 'content-type': 'application/json' });
    await next();
  });

  mountEvents(app, gateway);
  mountKeys(app, gateway);

  app.get('/admin/health', (c) => {
    const report = healthReport(gateway, true);
    return c.json(report, report.status === 'unavailable' ? 503 : 200);
  });

  app.post('/admin/reload', async (c) => {
    const result = await gateway.runtime.reload();
    if (result.ok) return c.json({ reloaded: true, at: gateway.runtime.lastReload?.at ?? null });
    return c.body(errorJson(gatewayError('invalid_config', `Config reload refused; the previous config keeps serving: ${result.error}`)), 400, { 'content-type': 'application/json' });
  });

  app.get('/admin/mode', (c) => c.json({ mode: gateway.modes.active ?? null, modes: [...gateway.loaded.modes.keys()] }));

  // Switches the routing mode on this instance and, through Redis, on every instance.
  app.post('/admin/mode', async (c) => {
    const body = (await c.req.json().catch(() => undefined)) as { mode?: unknown } | undefined;
    const mode = body?.mode;
    if (mode !== null && (typeof mode !== 'string' || !gateway.loaded.modes.has(mode))) {
      const known = [...gateway.loaded.modes.keys()].join(', ') || 'none configured';
      return c.body(errorJson(gatewayError('unknown_mode', `Send {"mode": "<name>"} with one of: ${known}; or {"mode": null} for the top-level routing.`, 'mode')), 400, {
        'content-type': 'application/json',
      });
    }
    const previous = gateway.modes.active ?? null;
    gateway.modes.set(mode ?? undefined);
    let shared = false;
    if (gateway.shared) {
      try {
        await gateway.shared.modes.set(mode ?? undefined);
        shared = true;
      } catch (err) {
        gateway.shared.onRedisError('mode write', err);
      }
    }
    return c.json({ mode, previous, fleet: shared });
  });

  app.post('/admin/circuit/:provider/reset', (c) => {
    const provider = c.req.param('provider');
    if (!gateway.providers.has(provider)) {
      return c.body(errorJson(gatewayError('provider_not_found', `Unknown provider "${provider}".`, 'provider')), 404, { 'content-type': 'application/json' });
    }
    const before = gateway.breakers.state(provider);
    gateway.breakers.reset(provider);
    gateway.logger.info({ provider, from: before }, 'circuit breaker reset by operator');
    return c.json({ provider, previous: before, circuit: gateway.breakers.state(provider) });
  });
}

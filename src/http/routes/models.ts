import type { Hono } from 'hono';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../app.js';

/** GET /v1/models: every model name a request may ask for, with the providers that serve it. */
export function mountModels(app: Hono<AppEnv>, gateway: Gateway): void {
  const created = Math.floor(gateway.startedAt / 1000);
  app.get('/v1/models', (c) => {
    const byModel = new Map<string, string[]>();
    for (const name of gateway.chain) {
      const p = gateway.providers.get(name)?.config;
      if (!p) continue;
      for (const m of [...(p.models ?? []), ...(p.default_model ? [p.default_model] : [])]) {
        if (m.includes('*')) continue; // a pattern, not a model name
        const list = byModel.get(m) ?? [];
        if (!list.includes(name)) list.push(name);
        byModel.set(m, list);
      }
    }
    for (const [alias, targets] of Object.entries(gateway.config.models)) {
      byModel.set(alias, [...new Set(targets.map((t) => t.provider))]);
    }
    const data = [...byModel].map(([id, providers]) => ({ id, object: 'model', created, owned_by: providers[0], providers }));
    return c.json({ object: 'list', data });
  });
}

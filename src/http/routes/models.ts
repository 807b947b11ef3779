import type { Hono } from 'hono';
import { gatewayError } from '../../core/errors.js';
import type { Gateway } from '../../gateway.js';
import { Cancel } from '../../routing/cancel.js';
import type { AppEnv } from '../app.js';
import { errorJson } from '../errors.js';

const json = { 'content-type': 'application/json' };
const DESCRIBE_TIMEOUT_MS = 10_000;

/**
 * GET /v1/models: every model the gateway can serve (config names, aliases, and the lists providers
 * without a `models` list give themselves), each `{id, object, created, owned_by}` plus `providers`.
 * GET /v1/models/{id}: one of them (ids may hold `:` and `/`); an id the gateway does not know is asked
 * of an `openai` provider (fine-tuned models live there), else 404 `model_not_found`.
 */
export function mountModels(app: Hono<AppEnv>, gateway: Gateway): void {
  const created = Math.floor(gateway.startedAt / 1000);
  const entry = (id: string, providers: string[]) => ({ id, object: 'model', created, owned_by: providers[0] ?? 'switchyard', providers });

  app.get('/v1/models', (c) => {
    const data = [...gateway.models.entries(gateway.config, gateway.chain)].map(([id, providers]) => entry(id, providers));
    return c.json({ object: 'list', data });
  });

  app.get('/v1/models/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const providers = gateway.models.entries(gateway.config, gateway.chain).get(id);
    if (providers) return c.json(entry(id, providers));
    for (const name of gateway.chain) {
      const p = gateway.providers.get(name);
      if (p?.config.type !== 'openai' || !p.adapter.describeModel) continue;
      try {
        const model = await p.adapter.describeModel(id, p.keys.pick(gateway.clock()), new Cancel(), DESCRIBE_TIMEOUT_MS);
        if (model) return c.json({ ...model, providers: [name] });
      } catch {
        // An openai provider that cannot answer is no different from one that does not know it.
      }
    }
    return c.body(errorJson(gatewayError('model_not_found', `The model \`${id}\` does not exist or is not served by any configured provider.`, 'model')), 404, json);
  });
}

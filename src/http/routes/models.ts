import type { Hono } from 'hono';
import { gatewayError } from '../../core/errors.js';
import type { Gateway } from '../../gateway.js';
import { Cancel } from '../../routing/cancel.js';
import { anthropicErrorJson } from '../anthropic/errors.js';
import type { AppEnv } from '../app.js';
import { errorJson } from '../errors.js';

const json = { 'content-type': 'application/json' };
const DESCRIBE_TIMEOUT_MS = 10_000;

/**
 * GET /v1/models: every model the gateway can serve (config names, aliases, and the lists providers
 * without a `models` list give themselves), each `{id, object, created, owned_by}` plus `providers`.
 * GET /v1/models/{id}: one of them (ids may hold `:` and `/`); an id the gateway does not know is asked
 * of an `openai` provider (fine-tuned models live there), else 404 `model_not_found`.
 * Asked with an `anthropic-version` header (Claude Code, the Anthropic SDKs), both answer in Anthropic's
 * shape: `{data: [{id, type: "model", display_name, created_at}], has_more: false, first_id, last_id}`
 * and `{id, type: "model", display_name, created_at}` (display_name: the id; created_at: the gateway's
 * start, ISO 8601), an unknown id a 404 in Anthropic's error envelope.
 *
 * @example
 * mountModels(app, gateway); // GET /v1/models, GET /v1/models/gpt-4o
 */
export function mountModels(app: Hono<AppEnv>, gateway: Gateway): void {
  const created = Math.floor(gateway.startedAt / 1000);
  const entry = (id: string, providers: string[]) => ({ id, object: 'model', created, owned_by: providers[0] ?? 'switchyard', providers });
  const createdAt = new Date(gateway.startedAt).toISOString();
  const anthropicEntry = (id: string) => ({ id, type: 'model', display_name: id, created_at: createdAt });
  const anthropic = (version: string | undefined) => version !== undefined && version !== '';

  app.get('/v1/models', (c) => {
    // A key with an allow-list sees the models it may use.
    const policy = c.get('preflight').caller.policy;
    // The aliases of the mode in force are listed with the rest.
    const config = { ...gateway.config, models: gateway.view().models };
    const listed = [...gateway.models.entries(config, gateway.chain)].filter(([id]) => !policy || policy.allows(id));
    if (anthropic(c.req.header('anthropic-version'))) {
      const data = listed.map(([id]) => anthropicEntry(id));
      return c.json({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
    }
    return c.json({ object: 'list', data: listed.map(([id, providers]) => entry(id, providers)) });
  });

  app.get('/v1/models/:id{.+}', async (c) => {
    const id = c.req.param('id');
    const providers = gateway.models.entries(gateway.config, gateway.chain).get(id);
    if (anthropic(c.req.header('anthropic-version'))) {
      if (providers) return c.json(anthropicEntry(id));
      return c.body(anthropicErrorJson('not_found_error', `model: ${id}`, c.get('requestId')), 404, json);
    }
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

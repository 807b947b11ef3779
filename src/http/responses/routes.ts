/**
 * The stored-response routes, served from the in-process store: `GET /v1/responses/{id}`,
 * `DELETE /v1/responses/{id}` and `GET /v1/responses/{id}/input_items` (a cursor list). An id the
 * store does not hold (never stored, expired, deleted, or kept by another instance) is a 404.
 */
import type { Context, Hono } from 'hono';
import { type ApiError, gatewayError } from '../../core/errors.js';
import type { Gateway } from '../../gateway.js';
import type { AppEnv } from '../app.js';
import { errorJson } from '../errors.js';
import { responseStoreOf } from './store.js';
import type { Item } from './wire.js';

const json = { 'content-type': 'application/json' };
const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 20;

/**
 * Mounts the routes. Register them before the `/v1/*` pass-through catch-all.
 *
 * @example
 * mountResponses(app, gateway);
 * mountPassthrough(app, gateway);
 */
export function mountResponses(app: Hono<AppEnv>, gateway: Gateway): void {
  const store = responseStoreOf(gateway);
  const refuse = (c: Context<AppEnv>, e: ApiError) => c.body(errorJson(e), e.status as 400 | 404, json);
  const missing = (c: Context<AppEnv>, id: string) => refuse(c, { ...gatewayError('unknown_url', `Response with id '${id}' not found.`, 'response_id'), code: 'response_not_found' });

  // A response this instance does not hold may be one an openai provider stored (served natively):
  // then the /v1/* pass-through asks it.
  const elsewhere = () => [...gateway.providers.values()].some((p) => p.config.type === 'openai');

  app.get('/v1/responses/:id', async (c, next) => {
    const id = c.req.param('id');
    const stored = await store.get(id);
    if (!stored) return elsewhere() ? next() : missing(c, id);
    if (c.req.query('stream') === 'true') return refuse(c, gatewayError('invalid_query', 'Streaming a stored response again is not supported: retrieve it without stream.', 'stream'));
    return c.json(stored.response);
  });

  app.delete('/v1/responses/:id', async (c, next) => {
    const id = c.req.param('id');
    if (await store.delete(id)) return c.json({ id, object: 'response', deleted: true });
    return elsewhere() ? next() : missing(c, id);
  });

  app.get('/v1/responses/:id/input_items', async (c, next) => {
    const id = c.req.param('id');
    const stored = await store.get(id);
    if (!stored) return elsewhere() ? next() : missing(c, id);
    const page = inputItemsPage(stored.input, { limit: c.req.query('limit'), order: c.req.query('order'), after: c.req.query('after') });
    return 'error' in page ? refuse(c, page.error) : c.json(page);
  });
}

/** A page of input items: `object: 'list'`, `data`, `first_id`, `last_id`, `has_more`. */
export interface ItemPage {
  object: 'list';
  data: Item[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/**
 * One page of a response's input items, as the list endpoint's query asks: `order` (desc by default:
 * newest first), `after` (an item id: the page starts after it), `limit` (1 to 100, default 20).
 *
 * @example
 * inputItemsPage(items, { limit: '2', order: 'asc' }); // { object: 'list', data: [first, second], has_more: true, ... }
 */
export function inputItemsPage(items: readonly Item[], q: { limit?: string | undefined; order?: string | undefined; after?: string | undefined }): ItemPage | { error: ApiError } {
  const limit = q.limit === undefined ? DEFAULT_LIMIT : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return { error: gatewayError('invalid_query', `limit must be an integer from 1 to ${MAX_LIMIT}.`, 'limit') };
  if (q.order !== undefined && q.order !== 'asc' && q.order !== 'desc') return { error: gatewayError('invalid_query', 'order must be asc or desc.', 'order') };
  const ordered = q.order === 'asc' ? [...items] : [...items].reverse();
  let start = 0;
  if (q.after !== undefined) {
    const at = ordered.findIndex((i) => i.id === q.after);
    if (at < 0) return { error: gatewayError('invalid_query', `after: no input item with id '${q.after}'.`, 'after') };
    start = at + 1;
  }
  const data = ordered.slice(start, start + limit);
  return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: start + limit < ordered.length };
}

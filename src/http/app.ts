import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener, type HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { routePath } from 'hono/route';
import { gatewayError } from '../core/errors.js';
import type { Gateway } from '../gateway.js';
import type { Endpoint } from '../providers/types.js';
import { COUNT_TOKENS_PATH, serveCountTokens } from './anthropic/count-tokens.js';
import { serveMessages } from './anthropic/door.js';
import { errorJson, writeError } from './errors.js';
import { finishRequest, type Preflight, preflight } from './preflight.js';
import { RESPONSES_PATH, serveResponses } from './responses/door.js';
import { mountResponses } from './responses/routes.js';
import { mountAdmin } from './routes/admin.js';
import { mountDashboard } from './routes/dashboard.js';
import { mountModels } from './routes/models.js';
import { mountOps } from './routes/ops.js';
import { mountPassthrough } from './routes/passthrough.js';
import { handleProxy } from './routes/proxy.js';

export type AppEnv = { Bindings: HttpBindings; Variables: { requestId: string; preflight: Preflight } };

const json = { 'content-type': 'application/json' };
const INTERNAL = gatewayError('internal_error', 'The gateway hit an internal error.');

export function createApp(gateway: Gateway): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // The same first and last steps as the proxy routes: request id, client key check, log line, count.
  app.use('*', async (c, next) => {
    const path = c.req.path;
    const guarded = path.startsWith('/v1/') || (path === '/health' && !gateway.config.auth.public_health) || (path === '/metrics' && !gateway.config.auth.public_metrics);
    // /health and /metrics, when private, open to a client or an admin key.
    const p = preflight(gateway, c.env.incoming, guarded, !path.startsWith('/v1/'));
    c.set('requestId', p.requestId);
    c.set('preflight', p);
    if (p.refused) {
      c.res = c.body(errorJson(p.refused), 401, json);
    } else await next();
    c.res.headers.set('x-request-id', p.requestId);
    const route = c.res.status === 404 && routePath(c) === '*' ? 'unknown' : routePath(c).replace(/^\//, '') || 'root';
    finishRequest(gateway, p, c.req.method, path, route, c.res.status);
  });

  mountModels(app, gateway);
  mountOps(app, gateway);
  mountAdmin(app, gateway);
  mountDashboard(app, gateway); // after the admin guard: /admin/overview is behind it
  mountResponses(app, gateway); // before the /v1/* pass-through
  mountPassthrough(app, gateway);

  app.notFound((c) => c.body(errorJson(gatewayError('unknown_url', `Unknown request URL: ${c.req.method} ${c.req.path}.`)), 404, json));
  app.onError((err, c) => {
    logInternalError(gateway, c.get('requestId'), err);
    return c.body(errorJson(INTERNAL), 500, json);
  });
  return app;
}

const PROXY_ROUTES: Record<string, Endpoint> = { '/v1/chat/completions': 'chat/completions', '/v1/completions': 'completions', '/v1/embeddings': 'embeddings' };
/** The Anthropic Messages front door (any query: the SDKs' beta calls add `?beta=true`). */
const MESSAGES_ROUTE = '/v1/messages';

/**
 * The Node request listener. The proxy routes and the Anthropic Messages door are matched before
 * Hono's router: they work on the raw Node request and response anyway (bodies and streams are never
 * converted to web streams), and skipping the Request/Context wrapping saves about 9 us of CPU per
 * request. Everything else is Hono.
 */
export function createRequestListener(gateway: Gateway): (req: IncomingMessage, res: ServerResponse) => void {
  const hono = getRequestListener(createApp(gateway).fetch);
  return (req, res) => {
    const q = req.url!.indexOf('?');
    const path = q < 0 ? req.url! : req.url!.slice(0, q);
    if (req.method === 'POST' && path === MESSAGES_ROUTE) return serveMessages(gateway, req, res);
    if (req.method === 'POST' && path === COUNT_TOKENS_PATH) return serveCountTokens(gateway, req, res);
    if (req.method === 'POST' && path === RESPONSES_PATH) return serveResponses(gateway, req, res);
    const endpoint = req.method === 'POST' ? PROXY_ROUTES[path] : undefined;
    if (endpoint === undefined) return void hono(req, res);
    const p = preflight(gateway, req, true);
    if (p.refused) {
      req.resume();
      writeError(res, p.refused, { 'x-request-id': p.requestId });
      return finishRequest(gateway, p, 'POST', `/v1/${endpoint}`, endpoint, p.refused.status, { error: p.refused.code });
    }
    handleProxy({ gateway, req, res, preflight: p, endpoint }).catch((err: Error) => {
      logInternalError(gateway, p.requestId, err);
      if (res.headersSent) res.end();
      else writeError(res, INTERNAL, { 'x-request-id': p.requestId });
    });
  };
}

function logInternalError(gateway: Gateway, requestId: string, err: Error): void {
  gateway.logger.error({ requestId, err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
}

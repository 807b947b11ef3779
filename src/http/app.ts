import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import type { Gateway } from '../gateway.js';
import type { Endpoint } from '../providers/types.js';
import { matchesAnyKey } from './auth.js';
import { errorJson, writeError } from './errors.js';
import { requestIdFrom } from './request-id.js';
import { mountAdmin } from './routes/admin.js';
import { mountModels } from './routes/models.js';
import { mountOps } from './routes/ops.js';
import { handleProxy } from './routes/proxy.js';

export type AppEnv = { Bindings: HttpBindings; Variables: { requestId: string } };

const json = { 'content-type': 'application/json' };

export function createApp(gateway: Gateway): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', async (c, next) => {
    const id = requestIdFrom(c.req.header('x-request-id'));
    c.set('requestId', id);
    await next();
    if (c.res !== RESPONSE_ALREADY_SENT) c.res.headers.set('x-request-id', id);
  });

  app.use('/v1/*', async (c, next) => {
    const keys = gateway.config.auth.keys;
    if (keys && keys.length > 0 && !matchesAnyKey(c.req.header('authorization'), keys)) {
      return c.body(
        errorJson({ status: 401, type: 'authentication_error', code: 'invalid_api_key', message: 'Incorrect or missing API key: send Authorization: Bearer <key>.' }),
        401,
        json,
      );
    }
    await next();
  });

  const proxy = (endpoint: Endpoint) => async (c: import('hono').Context<AppEnv>) => {
    await handleProxy({ gateway, req: c.env.incoming, res: c.env.outgoing, requestId: c.get('requestId'), endpoint });
    return RESPONSE_ALREADY_SENT;
  };
  app.post('/v1/chat/completions', proxy('chat/completions'));
  app.post('/v1/completions', proxy('completions'));
  mountModels(app, gateway);
  mountOps(app, gateway);
  mountAdmin(app, gateway);

  app.notFound((c) =>
    c.body(
      errorJson({ status: 404, type: 'invalid_request_error', code: 'unknown_url', message: `Unknown request URL: ${c.req.method} ${c.req.path}.` }),
      404,
      json,
    ),
  );
  app.onError((err, c) => {
    gateway.logger.error({ requestId: c.get('requestId'), err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
    if (c.env.outgoing.headersSent) {
      c.env.outgoing.end();
      return RESPONSE_ALREADY_SENT;
    }
    if (c.req.path.startsWith('/v1/') && c.req.method === 'POST') {
      writeError(c.env.outgoing, { status: 500, type: 'server_error', code: 'internal_error', message: 'The gateway hit an internal error.' }, { 'x-request-id': c.get('requestId') });
      return RESPONSE_ALREADY_SENT;
    }
    return c.body(errorJson({ status: 500, type: 'server_error', code: 'internal_error', message: 'The gateway hit an internal error.' }), 500, json);
  });
  return app;
}

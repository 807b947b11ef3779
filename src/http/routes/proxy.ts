import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiError, gatewayError } from '../../core/errors.js';
import { type Outcome, serve } from '../../core/serve.js';
import type { Gateway } from '../../gateway.js';
import type { Endpoint } from '../../providers/types.js';
import { sendJson } from '../../respond/json.js';
import { pipeStream } from '../../respond/stream.js';
import { validateRequest } from '../../validate/validate.js';
import { admitJson, type Fail, routeOptions } from '../admission.js';
import { writeError } from '../errors.js';
import { answerLog, type Done, pipeGuarded, renderRefusal, streamLog } from '../outcome-log.js';
import { finishRequest, type Preflight } from '../preflight.js';

export interface ProxyContext {
  gateway: Gateway;
  req: IncomingMessage;
  res: ServerResponse;
  preflight: Preflight;
  endpoint: Endpoint;
}

/**
 * The OpenAI front door for POST /v1/chat/completions and /v1/completions: bytes in, a validated
 * request and routing options to the core, the core's outcome back out as bytes (JSON, or SSE piped
 * event by event). Works on the Node request and response so bodies and streams are never converted.
 */
export async function handleProxy(ctx: ProxyContext): Promise<void> {
  const { gateway, req, res, preflight, endpoint } = ctx;
  const base: Record<string, string | number> = { 'x-request-id': preflight.requestId };
  const done = (status: number, extra?: Record<string, unknown>) => finishRequest(gateway, preflight, 'POST', `/v1/${endpoint}`, endpoint, status, extra);
  const fail = (e: ApiError, headers: Record<string, string | number> = {}, extra: Record<string, unknown> = {}) => {
    writeError(res, e, Object.assign({}, headers, base));
    done(e.status, { error: e.code ?? e.type, ...extra });
  };

  const body = await admitJson(gateway, req, res, fail);
  if (body === undefined) return;
  const v = validateRequest(endpoint, body.json);
  if (!v.ok) return fail(gatewayError('invalid_request', v.message, v.param));

  const request = { endpoint, body: v.body, raw: body.raw, model: v.model, stream: v.stream };
  const outcome = await serve(gateway, request, routeOptions(req.headers, res, preflight.requestId, preflight.caller));
  respond(ctx, outcome, base, done, fail);
}

/** Renders the core's outcome as HTTP. */
function respond({ res, preflight }: ProxyContext, outcome: Outcome, base: Record<string, string | number>, done: Done, fail: Fail): void {
  if (renderRefusal(outcome, done, fail)) return;
  switch (outcome.kind) {
    case 'replay': {
      const body = Buffer.from(outcome.answer.body);
      res.writeHead(outcome.answer.status, Object.assign({}, outcome.answer.headers, outcome.headers, base, { 'idempotent-replayed': 'true', 'content-length': body.length }));
      res.end(body);
      return done(outcome.answer.status, { idempotent: 'replayed' });
    }
    case 'answer':
      sendJson(res, outcome.status, outcome.body, Object.assign({}, base, outcome.headers));
      return done(outcome.status, answerLog(outcome.routing, outcome.usage));
    case 'stream':
      return pipeGuarded(outcome.stream, () => pipeStream(res, outcome.stream, Object.assign({}, base, outcome.headers), preflight.requestId, (end) => done(200, streamLog(outcome.routing, end))));
  }
}

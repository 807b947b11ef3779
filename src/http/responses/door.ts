/**
 * The OpenAI Responses front door, `POST /v1/responses`, over the core: the request is read and
 * checked, the stored turns it continues (`previous_response_id`) are prepended, and it goes to the
 * core as a chat completions request (the pivot) for every provider type. The core's outcome comes
 * back as a Response object, or as a Responses event stream (`render.ts`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gatewayError } from '../../core/errors.js';
import { serve } from '../../core/serve.js';
import type { Gateway } from '../../gateway.js';
import { validateRequest } from '../../validate/validate.js';
import { admitJson, type Fail, routeOptions } from '../admission.js';
import { writeError } from '../errors.js';
import { finishRequest, type Preflight, preflight } from '../preflight.js';
import { render, type Turn } from './render.js';
import { chatRequest, readResponsesRequest } from './request.js';
import { responseSkeleton } from './response.js';
import { responseStoreOf } from './store.js';
import { newId } from './wire.js';

export interface ResponsesContext {
  gateway: Gateway;
  req: IncomingMessage;
  res: ServerResponse;
  preflight: Preflight;
}

/** The path of the door (matched before Hono, like the chat door). */
export const RESPONSES_PATH = '/v1/responses';
/** The route's name in logs and `switchyard_http_requests_total`. */
export const RESPONSES_ROUTE = 'responses';

const INTERNAL = gatewayError('internal_error', 'The gateway hit an internal error.');

/**
 * The listener's entry for `POST /v1/responses`: preflight (request id, client key), then the door; a
 * refusal or an internal error in the OpenAI envelope.
 *
 * @example
 * if (req.method === 'POST' && path === RESPONSES_PATH) return serveResponses(gateway, req, res);
 */
export function serveResponses(gateway: Gateway, req: IncomingMessage, res: ServerResponse): void {
  const p = preflight(gateway, req, true);
  if (p.refused) {
    req.resume();
    writeError(res, p.refused, { 'x-request-id': p.requestId });
    return finishRequest(gateway, p, 'POST', RESPONSES_PATH, RESPONSES_ROUTE, p.refused.status, { error: p.refused.code });
  }
  handleResponses({ gateway, req, res, preflight: p }).catch((err: Error) => {
    gateway.logger.error({ requestId: p.requestId, err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
    if (res.headersSent) res.end();
    else writeError(res, INTERNAL, { 'x-request-id': p.requestId });
  });
}

/**
 * Serves one `POST /v1/responses` on the fast path (Node request and response, no Hono), its preflight done.
 *
 * @example
 * await handleResponses({ gateway, req, res, preflight: p });
 */
export async function handleResponses(ctx: ResponsesContext): Promise<void> {
  const { gateway, req, res, preflight } = ctx;
  const base: Record<string, string | number> = { 'x-request-id': preflight.requestId };
  const done = (status: number, extra: Record<string, unknown> = {}) => finishRequest(gateway, preflight, 'POST', RESPONSES_PATH, RESPONSES_ROUTE, status, extra);
  const fail: Fail = (e, headers = {}, extra = {}) => {
    writeError(res, e, Object.assign({}, headers, base));
    done(e.status, { error: e.code ?? e.type, ...extra });
  };

  const body = await admitJson(gateway, req, res, fail);
  if (body === undefined) return;
  const read = readResponsesRequest(body.json, newId);
  if (!read.ok) return fail(gatewayError('invalid_request', read.message, read.param));
  const request = read.value;

  const store = responseStoreOf(gateway);
  const previousId = request.previousResponseId;
  const previous = previousId === undefined ? undefined : await store.get(previousId);
  // A turn this instance did not keep may continue one an openai provider stored: only it can serve it.
  const nativeOnly = previousId !== undefined && !previous ? firstOpenAIProvider(gateway) : undefined;
  if (previousId !== undefined && !previous && !nativeOnly) {
    const e = gatewayError('invalid_request', `Previous response with id '${previousId}' not found (responses are kept for an hour on the instance that served them).`, 'previous_response_id');
    return fail(Object.assign({}, e, { code: 'previous_response_not_found' }));
  }
  const history = previous ? [...previous.input, ...previous.response.output] : [];
  const chat = chatRequest(request, history);
  // The pivot request must be one the chat door would take; a field it refuses is named as the caller sent it.
  const v = validateRequest('chat/completions', chat);
  if (!v.ok) {
    const param = v.param === null ? null : callerParam(v.param);
    return fail(gatewayError('invalid_request', v.param === null || param === null ? v.message : v.message.replace(v.param, param), param));
  }

  const turn: Turn = {
    request,
    base: responseSkeleton(request.model, request.echo, newId('resp'), Math.floor(gateway.clock() / 1000)),
    input: [...history, ...request.input],
    requestBytes: body.bytes,
  };
  const options = routeOptions(req.headers, res, preflight.requestId, preflight.caller);
  if (nativeOnly) Object.assign(options, { provider: nativeOnly, fallback: false });
  // openai providers get the caller's own bytes (native Responses, stored by the provider); others the pivot.
  const native = { protocol: 'openai-responses' as const, body: body.json as Record<string, unknown>, raw: body.raw, headers: {} };
  const outcome = await serve(gateway, { endpoint: 'chat/completions', body: chat, model: request.model, stream: request.stream, native }, options);
  render({ gateway, res, requestId: preflight.requestId, base, done, fail, store, turn }, outcome);
}

/** The first provider of type openai in the chain, which can serve a Responses request natively. */
function firstOpenAIProvider(gateway: Gateway): string | undefined {
  return gateway.chain.find((name) => gateway.providers.get(name)?.config.type === 'openai');
}

/** A chat field as the Responses field it came from. */
function callerParam(param: string): string {
  if (param.startsWith('messages')) return 'input';
  if (param === 'max_completion_tokens') return 'max_output_tokens';
  if (param.startsWith('tools')) return 'tools';
  if (param === 'response_format') return 'text.format';
  if (param === 'reasoning_effort') return 'reasoning.effort';
  return param;
}

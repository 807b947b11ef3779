/**
 * The Anthropic Messages front door: `POST /v1/messages` (and `?beta=true`), for Claude Code and every
 * Anthropic SDK. The request is validated and translated to the pivot (OpenAI chat) for providers of
 * other types, and goes as the caller's own bytes to anthropic providers (native); the core's outcome
 * comes back as a message, an event stream or an error in Anthropic's envelope (translated, or the
 * provider's own untouched). Works on the Node request and response like the OpenAI door.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { gatewayError } from '../../core/errors.js';
import { type Outcome, serve } from '../../core/serve.js';
import type { ServedStream, StreamEnd } from '../../core/served-stream.js';
import type { Gateway } from '../../gateway.js';
import { pipeNative } from '../../respond/stream.js';
import { admitJson, type Fail, routeOptions } from '../admission.js';
import { answerLog, type Done, pipeGuarded, renderRefusal, streamLog } from '../outcome-log.js';
import { finishRequest, type Preflight, preflight } from '../preflight.js';
import { type Headers, pipeMessagesStream, sendBody, translateAnswer, translateWholeStream, writeMessagesError } from './render.js';
import { toChatRequest } from './request.js';
import type { AnswerContext } from './response.js';

const PATH = '/v1/messages';
const ROUTE = 'messages';
const INTERNAL = gatewayError('internal_error', 'The gateway hit an internal error.');
const _SATURATED = gatewayError('gateway_saturated', 'The gateway is at its limit of concurrent requests; retry shortly.');

/**
 * The listener's entry for `POST /v1/messages`: preflight (request id, client key by `x-api-key` or
 * `Authorization: Bearer`), then the door; a refusal or an internal error in Anthropic's envelope.
 *
 * @example
 * if (req.method === 'POST' && path === '/v1/messages') return serveMessages(gateway, req, res);
 */
export function serveMessages(gateway: Gateway, req: IncomingMessage, res: ServerResponse): void {
  const p = preflight(gateway, req, true);
  const ids = { 'x-request-id': p.requestId, 'request-id': p.requestId };
  if (p.refused) {
    req.resume();
    writeMessagesError(res, p.refused, p.requestId, ids);
    return finishRequest(gateway, p, 'POST', PATH, ROUTE, p.refused.status, { error: p.refused.code });
  }
  handleMessages(gateway, req, res, p).catch((err: Error) => {
    gateway.logger.error({ requestId: p.requestId, err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
    if (res.headersSent) res.end();
    else writeMessagesError(res, INTERNAL, p.requestId, ids);
  });
}

async function handleMessages(gateway: Gateway, req: IncomingMessage, res: ServerResponse, p: Preflight): Promise<void> {
  const requestId = p.requestId;
  const base: Headers = { 'x-request-id': requestId, 'request-id': requestId };
  const done: Done = (status, extra = {}) => finishRequest(gateway, p, 'POST', PATH, ROUTE, status, extra);
  const fail: Fail = (e, headers = {}, extra = {}) => {
    writeMessagesError(res, e, requestId, Object.assign({}, headers, base));
    done(e.status, { error: e.code ?? e.type, ...extra });
  };

  const body = await admitJson(gateway, req, res, fail);
  if (!body) return;
  const parsed = body.json;
  const t = toChatRequest(parsed);
  if (!t.ok) return fail(gatewayError('invalid_request', t.message, t.param));
  const { chat, model, stream, stopSequences } = t.body;

  // anthropic providers get the caller's own bytes (thinking signatures, cache_control, server tools and
  // all), with its anthropic-version and anthropic-beta; every other provider gets the pivot.
  const native = { protocol: 'anthropic-messages' as const, body: parsed as Record<string, unknown>, raw: body.raw, headers: protocolHeaders(req.headers) };
  const outcome = await serve(gateway, { endpoint: 'chat/completions', body: chat, model, stream, native }, routeOptions(req.headers, res, requestId, p.caller));
  respond(res, outcome, { model, stopSequences, requestId }, base, done, fail);
}

/** Renders the core's outcome in Anthropic's protocol. */
function respond(res: ServerResponse, outcome: Outcome, ctx: AnswerContext, base: Headers, done: Done, fail: Fail): void {
  if (renderRefusal(outcome, done, fail)) return;
  switch (outcome.kind) {
    case 'replay': {
      const { answer } = outcome;
      const headers = Object.assign({}, answer.headers, outcome.headers, base, { 'idempotent-replayed': 'true' });
      if (answer.headers['x-switchyard-native']) sendBody(res, answer.status, answer.body, headers);
      else if (/^text\/event-stream/i.test(answer.headers['content-type'] ?? '')) {
        const events = translateWholeStream(answer.body, ctx);
        res.writeHead(answer.status, Object.assign({}, headers, { 'content-type': 'text/event-stream; charset=utf-8', 'content-length': Buffer.byteLength(events) }));
        res.end(events);
      } else {
        const t = translateAnswer(answer.status, answer.body, ctx);
        sendBody(res, t.status, t.body, headers);
      }
      return done(answer.status, { idempotent: 'replayed' });
    }
    case 'answer': {
      const { routing } = outcome;
      const t = outcome.native ? { status: outcome.status, body: outcome.body.toString('utf8') } : translateAnswer(outcome.status, outcome.body, ctx);
      sendBody(res, t.status, t.body, Object.assign({}, base, outcome.headers));
      return done(t.status, answerLog(routing, outcome.usage));
    }
    case 'stream': {
      const { routing, stream } = outcome;
      const pipe = outcome.native ? nativeStream : pipeMessagesStream;
      return pipeGuarded(stream, () => pipe(res, stream, Object.assign({}, base, outcome.headers), ctx, (end) => done(200, streamLog(routing, end))));
    }
  }
}

/** A provider's own Messages stream, byte for byte; a break it did not report ends with one `event: error`. */
function nativeStream(res: ServerResponse, stream: ServedStream, headers: Headers, ctx: AnswerContext, onEnd: (end: StreamEnd) => void): void {
  pipeNative(res, stream, headers, ctx.requestId, (message) => `event: error\ndata: ${JSON.stringify({ type: 'error', error: { type: 'api_error', message } })}\n\n`, onEnd);
}

/**
 * The Anthropic protocol headers a native request carries on (`anthropic-version`, `anthropic-beta`).
 *
 * @example
 * protocolHeaders({ 'anthropic-version': '2023-06-01', 'x-api-key': 'k' }); // { 'anthropic-version': '2023-06-01' }
 */
export function protocolHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['anthropic-version', 'anthropic-beta']) {
    const v = first(h[name]);
    if (v) out[name] = v;
  }
  return out;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

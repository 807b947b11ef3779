/**
 * The core's outcome for a Responses request, written as HTTP: a whole chat completion as a Response
 * object, a chat stream as a Responses event stream (event by event, with backpressure, ending in
 * `response.completed`, `response.incomplete` or `response.failed`), an upstream error envelope as
 * received, refusals in the OpenAI envelope. Kept responses go to the store.
 */
import type { ServerResponse } from 'node:http';
import { gatewayError } from '../../core/errors.js';
import type { Outcome } from '../../core/serve.js';
import type { ServedStream, StreamEnd } from '../../core/served-stream.js';
import type { Gateway } from '../../gateway.js';
import { parseJson } from '../../providers/translating/guards.js';
import { sendJson } from '../../respond/json.js';
import { pipeNative, pipeServed } from '../../respond/stream.js';
import type { Fail } from '../admission.js';
import { answerLog, pipeGuarded, renderRefusal, streamLog } from '../outcome-log.js';
import type { ResponsesRequest } from './request.js';
import { responseFromChat } from './response.js';
import type { ResponseKeeper } from './store.js';
import { ResponsesStream, type StreamFinish } from './stream.js';
import { type Item, newId, type ResponseObject } from './wire.js';

/** One Responses request on its way: what it asked, the response it starts as, and its whole input. */
export interface Turn {
  request: ResponsesRequest;
  /** The response skeleton (id, echoed fields), `in_progress`. */
  base: ResponseObject;
  /** The earlier turns, then this request's input: what a stored response keeps. */
  input: readonly Item[];
  requestBytes: number;
}

export interface RenderContext {
  gateway: Gateway;
  res: ServerResponse;
  requestId: string;
  /** Headers every answer carries (x-request-id). */
  base: Record<string, string | number>;
  done(status: number, extra?: Record<string, unknown>): void;
  fail: Fail;
  store: ResponseKeeper;
  turn: Turn;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

/**
 * Writes the outcome.
 *
 * @example
 * render({ gateway, res, requestId, base, done, fail, store, turn }, await serve(gateway, chat, options));
 */
export function render(ctx: RenderContext, outcome: Outcome): void {
  const { res, base, done, fail } = ctx;
  if (renderRefusal(outcome, done, fail)) return;
  switch (outcome.kind) {
    case 'replay': {
      const { status, headers, body } = outcome.answer;
      const replayed = Object.assign({}, headers, outcome.headers, base, { 'idempotent-replayed': 'true' });
      if (status >= 400) sendJson(res, status, Buffer.from(body), replayed);
      else if (/event-stream/.test(headers['content-type'] ?? '')) {
        const t = newStream(ctx);
        const text = t.start() + t.push(body) + t.end({ kind: 'complete' });
        keep(ctx, t.response, body.length);
        res.writeHead(200, Object.assign({}, replayed, SSE_HEADERS));
        res.end(text);
      } else if (!answerJson(ctx, status, Buffer.from(body), replayed)) return;
      return done(status, { idempotent: 'replayed' });
    }
    case 'answer': {
      const { routing } = outcome;
      const headers = Object.assign({}, base, outcome.headers);
      if (outcome.status >= 400 || outcome.native)
        sendJson(res, outcome.status, outcome.body, headers); // the provider's error envelope, as received
      else if (!answerJson(ctx, outcome.status, outcome.body, headers)) return;
      return done(outcome.status, answerLog(routing, outcome.usage));
    }
    case 'stream': {
      const { routing, stream } = outcome;
      const headers = Object.assign({}, base, outcome.headers);
      const onEnd = (end: StreamEnd) => {
        const log = streamLog(routing, end);
        if (outcome.native) log.native = true;
        done(200, log);
      };
      return pipeGuarded(stream, () => (outcome.native ? pipeNative(ctx.res, stream, headers, ctx.requestId, nativeErrorEvent, onEnd) : pipeResponses(ctx, stream, headers, onEnd)));
    }
  }
}

/** A chat completion as a Response object; false when it is not one (answered 502). */
function answerJson(ctx: RenderContext, status: number, body: Buffer, headers: Record<string, string | number>): boolean {
  const response = responseFromChat(parseJson(body.toString('utf8')), ctx.turn.base, newId, nowSeconds(ctx.gateway));
  if (!response) {
    ctx.fail(gatewayError('internal_error', 'The provider answered with something that is not a chat completion.', null, 502), headers);
    return false;
  }
  keep(ctx, response, body.length);
  sendJson(ctx.res, status, Buffer.from(JSON.stringify(response)), headers);
  return true;
}

/** Pipes the chat stream to the caller as Responses events; `onEnd` once, however it ends. */
function pipeResponses(ctx: RenderContext, stream: ServedStream, headers: Record<string, string | number>, onEnd: (end: StreamEnd) => void): void {
  const t = newStream(ctx);
  let bytes = 0;
  pipeServed(
    ctx.res,
    stream,
    headers,
    {
      start: () => t.start(),
      translate: (chunk) => {
        bytes += chunk.length;
        return t.push(chunk);
      },
      finish: (outcome) => {
        const tail = t.end(finishOf(outcome, ctx.requestId));
        keep(ctx, t.response, bytes);
        return tail;
      },
    },
    onEnd,
  );
}

function finishOf(end: StreamEnd, requestId: string): StreamFinish {
  if (end.kind === 'complete') return { kind: 'complete' };
  const why =
    end.kind === 'upstream_error' && end.detail === 'stream ended before it was complete' ? 'The upstream stream ended before it was complete.' : 'The upstream connection failed mid-stream.';
  return { kind: 'failed', message: `${why} (request ${requestId})` };
}

function newStream(ctx: RenderContext): ResponsesStream {
  return new ResponsesStream(ctx.turn.base, newId, () => nowSeconds(ctx.gateway));
}

/** Stores a finished response when the request asked to (`store`, default true); failed ones are not kept. */
function keep(ctx: RenderContext, response: ResponseObject | undefined, answerBytes: number): void {
  if (!response || !ctx.turn.request.store || response.status === 'failed') return;
  ctx.store.put({ response, input: ctx.turn.input }, ctx.turn.requestBytes + answerBytes);
}

/** The Responses stream's own error event, for a native stream the provider did not end itself. */
const nativeErrorEvent = (message: string): string => `event: error\ndata: ${JSON.stringify({ type: 'error', code: 'upstream_stream_error', message, param: null })}\n\n`;

const nowSeconds = (gateway: Gateway): number => Math.floor(gateway.clock() / 1000);

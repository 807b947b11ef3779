/**
 * Writing the core's answers to node:http in Anthropic's protocol: errors in its envelope, JSON answers
 * translated to a message, streams translated event by event with backpressure and exactly one end
 * (`message_stop`, or one `event: error`).
 */
import type { ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { ApiError } from '../../core/errors.js';
import type { ServedStream, StreamEnd } from '../../core/served-stream.js';
import { parseJson } from '../../providers/translating/guards.js';
import { pipeServed } from '../../respond/stream.js';
import { gatewayErrorJson, upstreamErrorJson } from './errors.js';
import { type AnswerContext, toAnthropicMessage } from './response.js';
import { MessagesStreamTranslator } from './stream.js';

/**
 * Response headers as the core and the routes hold them.
 *
 * @example
 * const h: Headers = { 'x-request-id': 'req-1', 'x-switchyard-attempts': 1 };
 */
export type Headers = Record<string, string | number>;

/**
 * Sends a JSON body (an Anthropic message or error envelope) with its length.
 *
 * @example
 * sendBody(res, 200, JSON.stringify(message), { 'x-request-id': 'req-1' });
 */
export function sendBody(res: ServerResponse, status: number, body: string, headers: Headers): void {
  res.writeHead(status, Object.assign({}, headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }));
  res.end(body);
}

/**
 * Answers with a gateway error in Anthropic's envelope; a response already begun is only ended.
 *
 * @example
 * writeMessagesError(res, gatewayError('invalid_api_key', 'Incorrect API key.'), 'req-1', { 'x-request-id': 'req-1' });
 */
export function writeMessagesError(res: ServerResponse, e: ApiError, requestId: string, headers: Headers = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendBody(res, e.status, gatewayErrorJson(e, requestId), headers);
}

/**
 * A whole upstream answer (a chat completion, or its error passed back) as Anthropic's: the status and
 * body to send. A success body that is not a chat completion is the provider's fault: a 502.
 *
 * @example
 * const { status, body } = translateAnswer(200, completionBytes, { model: 'claude-x', stopSequences: [], requestId: 'req-1' });
 */
export function translateAnswer(status: number, body: Buffer | string, ctx: AnswerContext): { status: number; body: string } {
  const requestId = ctx.requestId;
  if (status >= 400) return { status, body: upstreamErrorJson(status, body, requestId) };
  const message = toAnthropicMessage(parseJson(typeof body === 'string' ? body : body.toString('utf8')), ctx);
  if (!message) return { status: 502, body: upstreamErrorJson(502, '{"error":{"message":"The provider answered with a body that is not a chat completion."}}', requestId) };
  return { status, body: JSON.stringify(message) };
}

/**
 * A whole stored OpenAI event stream (an idempotent replay of a stream that completed) as Anthropic's.
 *
 * @example
 * res.end(translateWholeStream(storedSse, ctx));
 */
export function translateWholeStream(sse: string, ctx: AnswerContext): string {
  const t = new MessagesStreamTranslator(ctx);
  return t.push(sse) + t.end({ kind: 'complete' });
}

/** Anthropic's own keep-alive event. */
const ANTHROPIC_PING = 'event: ping\ndata: {"type": "ping"}\n\n';

/**
 * Pipes a served OpenAI stream to the client as Anthropic events: each write of whole OpenAI events is
 * translated and written at once (backpressure: `resume` on `drain`); the end is `message_stop` when
 * the upstream's answer was whole, else exactly one `event: error` (never a silent end); a silent
 * stream gets Anthropic's `ping`. The client going away cancels the stream.
 *
 * @example
 * pipeMessagesStream(res, outcome.stream, headers, ctx, (end) => log(end.kind));
 */
export function pipeMessagesStream(res: ServerResponse, stream: ServedStream, headers: Headers, ctx: AnswerContext, onEnd: (end: StreamEnd) => void): void {
  const t = new MessagesStreamTranslator(ctx);
  const decoder = new StringDecoder('utf8');
  pipeServed(
    res,
    stream,
    headers,
    {
      translate: (bytes) => t.push(decoder.write(bytes)),
      keepAlive: ANTHROPIC_PING,
      finish: (outcome, reason) => t.push(decoder.end()) + t.end(outcome.kind === 'complete' ? { kind: 'complete' } : { kind: 'failed', message: `${reason} (request ${ctx.requestId})` }),
    },
    onEnd,
  );
}

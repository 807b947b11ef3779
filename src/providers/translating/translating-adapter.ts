import type { ProviderConfig } from '../../config/schema.js';
import { post, type UpstreamAgents } from '../http-client.js';
import { jsonUpstreamResponse, readText, textUpstreamResponse } from '../respond-as-openai.js';
import { CHAT_ONLY, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from '../types.js';
import { isMappedError, type MappedError, openAIErrorBody } from './error-mapping.js';
import { isObject, parseJson } from './guards.js';
import { answerHeaders, type ResponseHeaders } from './headers.js';
import { KeyRedaction, type Redact } from './key-redaction.js';
import type { ProtocolDefinition } from './protocol.js';
import type { UnsupportedRequest } from './request-mapping.js';
import { pipeTranslated } from './translated-stream.js';

const JSON_TYPE = 'application/json';

/**
 * A `ProviderAdapter` for any protocol that is not OpenAI's: runs the steps every translating adapter
 * takes, in one place, with the protocol's definition filling in what differs. The request is
 * translated (or refused with a 400 before anything goes upstream), sent through the provider's own
 * pooled agents (its TLS settings included), and the answer read and parsed once: a JSON answer or an
 * error body is handed to the definition as a value, a stream is translated as it arrives. Provider
 * text copied into errors has the call's key removed.
 *
 * @example
 * export class ToyAdapter extends TranslatingAdapter<ToyRequest> {
 *   constructor(config: ProviderConfig, agents: UpstreamAgents) {
 *     super(config, agents, toyProtocol);
 *   }
 * }
 */
export class TranslatingAdapter<ProviderRequest> implements ProviderAdapter {
  readonly endpoints = CHAT_ONLY;
  private readonly url: URL;
  private readonly basePath: string;
  private readonly redaction = new KeyRedaction();

  constructor(
    readonly config: ProviderConfig,
    private readonly agents: UpstreamAgents,
    private readonly protocol: ProtocolDefinition<ProviderRequest>,
  ) {
    this.url = new URL(config.base_url);
    this.basePath = protocol.basePath(this.url.pathname);
  }

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const protocol = this.protocol;
    const request = protocol.translateRequest(call.body, call.stream);
    if (!request.ok) return refusedRequest(request);
    const model = typeof call.body.model === 'string' ? call.body.model : '';
    const res = await post({
      agents: this.agents,
      url: this.url,
      path: protocol.callPath(this.basePath, { model, stream: call.stream }),
      headers: {
        'content-type': JSON_TYPE,
        accept: call.stream ? protocol.streamMediaType : JSON_TYPE,
        'x-request-id': call.requestId,
        ...protocol.requestHeaders(call.apiKey),
      },
      body: JSON.stringify(request.body),
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
    const nowMs = Date.now();
    const redact = this.redaction.of(call.apiKey);
    const derived = protocol.derivedHeaders?.(res.headers, nowMs);

    if (res.status < 200 || res.status >= 300) {
      const error = protocol.translateError(res.status, parseJson(await readText(res.body)));
      return errorAnswer(error, res.headers, derived, redact);
    }
    if (call.stream) {
      const { translator, usage } = protocol.startStream({ model, nowMs, includeUsage: includesUsage(call.body) });
      const body = pipeTranslated(res.body, translator, { redact, inBandError: protocol.inBandError });
      return { status: 200, headers: answerHeaders(res.headers, 'text/event-stream', derived), body, streamUsage: usage };
    }
    const answer = protocol.translateAnswer(parseJson(await readText(res.body)), { model, nowMs });
    if (isMappedError(answer)) return errorAnswer(answer, res.headers, derived, redact);
    return jsonUpstreamResponse(200, answer.body, answerHeaders(res.headers, JSON_TYPE, derived));
  }
}

/**
 * Whether the client asked for the usage chunk (`stream_options.include_usage: true`, nothing else).
 *
 * @example
 * includesUsage({ stream_options: { include_usage: true } });   // true
 * includesUsage({ stream_options: { include_usage: 'yes' } });  // false
 */
export function includesUsage(body: Record<string, unknown>): boolean {
  return isObject(body.stream_options) && body.stream_options.include_usage === true;
}

/** A request the provider cannot represent: a 400 the client gets as its own, nothing sent upstream. */
function refusedRequest(why: UnsupportedRequest): UpstreamResponse {
  return jsonUpstreamResponse(400, openAIErrorBody(why.message, 'invalid_request_error', why.code, why.param), { 'content-type': JSON_TYPE });
}

/** A mapped error as the answer: its status, the key removed, and a retry-after the body gave. */
function errorAnswer(error: MappedError, upstream: ResponseHeaders, derived: Record<string, string> | undefined, redact: Redact): UpstreamResponse {
  const headers = answerHeaders(upstream, JSON_TYPE, { ...derived, ...(error.retryAfter !== undefined ? { 'retry-after': error.retryAfter } : {}) });
  return textUpstreamResponse(error.status, redact(JSON.stringify(error.body)), headers);
}

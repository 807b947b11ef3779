import type { ProviderConfig } from '../../config/schema.js';
import { post, type UpstreamAgents } from '../http-client.js';
import { jsonUpstreamResponse, readText, textUpstreamResponse } from '../respond-as-openai.js';
import { CHAT_ONLY, type Endpoint, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from '../types.js';
import { encodingFormat, toOpenAIEmbeddingList } from './embeddings.js';
import { isMappedError, type MappedError, openAIErrorBody } from './error-mapping.js';
import { isObject, parseJson } from './guards.js';
import { answerHeaders, type ResponseHeaders } from './headers.js';
import { KeyRedaction, type Redact } from './key-redaction.js';
import type { ProtocolDefinition } from './protocol.js';
import type { UnsupportedRequest } from './request-mapping.js';
import { pipeTranslated } from './translated-stream.js';

const JSON_TYPE = 'application/json';
const CHAT_AND_EMBEDDINGS: ReadonlySet<Endpoint> = new Set<Endpoint>(['chat/completions', 'embeddings']);

/**
 * A `ProviderAdapter` for any protocol that is not OpenAI's: runs the steps every translating adapter
 * takes, in one place, with the protocol's definition filling in what differs. The request is
 * translated (or refused with a 400 before anything goes upstream), sent through the provider's own
 * pooled agents (its TLS settings included), and the answer read and parsed once: a JSON answer or an
 * error body is handed to the definition as a value, a stream is translated as it arrives. Provider
 * text copied into errors has the call's key removed. Embeddings, when the definition has them, take
 * the same path with the definition's own call and translations.
 *
 * @example
 * export class ToyAdapter extends TranslatingAdapter<ToyRequest> {
 *   constructor(config: ProviderConfig, agents: UpstreamAgents) {
 *     super(config, agents, toyProtocol);
 *   }
 * }
 */
export class TranslatingAdapter<ProviderRequest, ProviderEmbedRequest = never> implements ProviderAdapter {
  /** Chat, plus embeddings when the protocol defines them. */
  readonly endpoints: ReadonlySet<Endpoint>;
  protected readonly url: URL;
  protected readonly origin: string;
  protected readonly basePath: string;
  private readonly redaction = new KeyRedaction();

  constructor(
    readonly config: ProviderConfig,
    protected readonly agents: UpstreamAgents,
    private readonly protocol: ProtocolDefinition<ProviderRequest, ProviderEmbedRequest>,
  ) {
    this.url = new URL(config.base_url);
    this.origin = this.url.origin;
    this.basePath = protocol.basePath(this.url.pathname);
    this.endpoints = protocol.embeddings ? CHAT_AND_EMBEDDINGS : CHAT_ONLY;
  }

  send(call: UpstreamCall): Promise<UpstreamResponse> {
    return call.endpoint === 'embeddings' ? this.embed(call) : this.chat(call);
  }

  private async chat(call: UpstreamCall): Promise<UpstreamResponse> {
    const protocol = this.protocol;
    const request = protocol.translateRequest(call.body, call.stream);
    if (!request.ok) return refusedRequest(request);
    const model = modelOf(call.body);
    const path = protocol.callPath(this.basePath, { model, stream: call.stream });
    const ex = await this.exchange(call, path, request.body, call.stream ? protocol.streamMediaType : JSON_TYPE);
    if (ex.failed) return ex.failed;
    const { res, nowMs, derived, redact } = ex;
    if (call.stream) {
      const { translator, usage } = protocol.startStream({ model, nowMs, includeUsage: includesUsage(call.body) });
      const body = pipeTranslated(res.body, translator, { redact, inBandError: protocol.inBandError });
      return { status: 200, headers: answerHeaders(res.headers, 'text/event-stream', derived), body, streamUsage: usage };
    }
    const answer = protocol.translateAnswer(parseJson(await readText(res.body)), { model, nowMs });
    if (isMappedError(answer)) return errorAnswer(answer, res.headers, derived, redact);
    return jsonUpstreamResponse(200, answer.body, answerHeaders(res.headers, JSON_TYPE, derived));
  }

  /** Embeddings: the protocol's own call; its vectors become OpenAI's list, encoded as the client asked. */
  private async embed(call: UpstreamCall): Promise<UpstreamResponse> {
    const embeddings = this.protocol.embeddings;
    // Not offered by the planner (not in `endpoints`); a 404 fails over without counting, should it happen.
    if (!embeddings) return jsonUpstreamResponse(404, openAIErrorBody('This provider does not serve embeddings.', 'invalid_request_error', 'unsupported_endpoint'), { 'content-type': JSON_TYPE });
    const request = embeddings.translateRequest(call.body);
    if (!request.ok) return refusedRequest(request);
    const model = modelOf(call.body);
    const ex = await this.exchange(call, embeddings.callPath(this.basePath, model), request.body, JSON_TYPE);
    if (ex.failed) return ex.failed;
    const { res, nowMs, derived, redact } = ex;
    const answer = embeddings.translateAnswer(parseJson(await readText(res.body)), { model, nowMs, sent: request.body });
    if (isMappedError(answer)) return errorAnswer(answer, res.headers, derived, redact);
    const list = toOpenAIEmbeddingList(answer.body, { model, encodingFormat: encodingFormat(call.body) });
    return jsonUpstreamResponse(200, list, answerHeaders(res.headers, JSON_TYPE, derived));
  }

  /** Sends one translated request; a non-2xx answer comes back already translated, as `failed`. */
  private async exchange(call: UpstreamCall, path: string, body: unknown, accept: string): Promise<Exchange> {
    const res = await post({
      agents: this.agents,
      origin: this.origin,
      path,
      headers: { 'content-type': JSON_TYPE, accept, 'x-request-id': call.requestId, ...this.protocol.requestHeaders(call.apiKey) },
      body: JSON.stringify(body),
      streamed: call.stream,
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
    const nowMs = Date.now();
    const redact = this.redaction.of(call.apiKey);
    const derived = this.protocol.derivedHeaders?.(res.headers, nowMs);
    if (res.status >= 200 && res.status < 300) return { res, nowMs, redact, derived };
    const error = this.protocol.translateError(res.status, parseJson(await readText(res.body)));
    return { res, nowMs, redact, derived, failed: errorAnswer(error, res.headers, derived, redact) };
  }
}

/** One upstream exchange: the provider's answer, when it came, and what translating it needs. */
interface Exchange {
  res: UpstreamResponse;
  nowMs: number;
  redact: Redact;
  derived: Record<string, string> | undefined;
  /** A non-2xx answer, translated: the adapter's answer as it is. */
  failed?: UpstreamResponse;
}

const modelOf = (body: Record<string, unknown>): string => (typeof body.model === 'string' ? body.model : '');

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
export function refusedRequest(why: UnsupportedRequest): UpstreamResponse {
  return jsonUpstreamResponse(400, openAIErrorBody(why.message, 'invalid_request_error', why.code, why.param), { 'content-type': JSON_TYPE });
}

/** A mapped error as the answer: its status, the key removed, and a retry-after the body gave. */
export function errorAnswer(error: MappedError, upstream: ResponseHeaders, derived: Record<string, string> | undefined, redact: Redact): UpstreamResponse {
  const headers = answerHeaders(upstream, JSON_TYPE, { ...derived, ...(error.retryAfter !== undefined ? { 'retry-after': error.retryAfter } : {}) });
  return textUpstreamResponse(error.status, redact(JSON.stringify(error.body)), headers);
}

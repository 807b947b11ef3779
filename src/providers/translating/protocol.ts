/**
 * What one provider protocol must say for `TranslatingAdapter` to serve OpenAI chat (and, when it
 * defines them, embeddings) through it. Every
 * step that is the same for all protocols (sending, reading, parsing each answer once, include_usage,
 * answer headers, stream failures, key redaction) lives in the framework; a definition holds only
 * what differs, as functions that take parsed values and return values (no I/O).
 */
import type { Usage } from '../../telemetry/usage.js';
import type { OpenAIErrorObject } from '../openai-wire.js';
import type { EmbeddingsAnswer } from './embeddings.js';
import type { MappedError, TranslatedAnswer } from './error-mapping.js';
import type { JsonObject } from './guards.js';
import type { ResponseHeaders } from './headers.js';
import type { RequestTranslation } from './request-mapping.js';
import type { StreamTranslationError, StreamTranslator } from './translated-stream.js';

/**
 * Where one call goes.
 *
 * @example
 * const target: CallTarget = { model: 'gemini-2.5-flash', stream: true };
 */
export interface CallTarget {
  /** The upstream model asked for ('' when the body named none). */
  model: string;
  stream: boolean;
}

/**
 * What translating an answer needs besides the answer.
 *
 * @example
 * const ctx: AnswerContext = { model: 'claude-sonnet-4', nowMs: Date.now() };
 */
export interface AnswerContext {
  /** The upstream model asked for: used until the provider names a more precise one. */
  model: string;
  /** When the answer arrived (ms since the epoch): `created`, and ids where the provider gives none. */
  nowMs: number;
}

/**
 * What translating a stream needs besides the stream.
 *
 * @example
 * const ctx: StreamContext = { model: 'llama3.2', nowMs: Date.now(), includeUsage: true };
 */
export interface StreamContext extends AnswerContext {
  /** The client asked for `stream_options.include_usage`: a usage chunk goes before `[DONE]`. */
  includeUsage: boolean;
}

/**
 * A started stream translation: the translator, and the token usage it saw (read once it has ended).
 *
 * @example
 * const translator = new OllamaStreamTranslator({ model, includeUsage, ids: randomIds() });
 * const started: StreamTranslation = { translator, usage: () => translator.usage };
 */
export interface StreamTranslation {
  translator: StreamTranslator;
  usage: () => Usage | undefined;
}

/**
 * What translating an embeddings answer needs besides the answer.
 *
 * @example
 * const ctx: EmbeddingsContext<OllamaEmbedRequest> = { model: 'nomic-embed-text', nowMs: Date.now(), sent: { model: 'nomic-embed-text', input: 'hi' } };
 */
export interface EmbeddingsContext<ProviderEmbedRequest> extends AnswerContext {
  /** The request as it was sent (what was embedded, for protocols whose answer does not say). */
  sent: ProviderEmbedRequest;
}

/**
 * A protocol's embeddings: its own call and both translations. The framework reads the answer, turns
 * the vectors into OpenAI's list (float or base64, as asked) and maps errors with the protocol's
 * `translateError`. A protocol without one is not a candidate for `POST /v1/embeddings`.
 *
 * @example
 * const toyEmbeddings: EmbeddingsProtocol<{ texts: string[] }> = {
 *   callPath: (base) => `${base}/embed`,
 *   translateRequest: (body) => tryMapRequest(() => ({ texts: textInput(body.input, 'Toy').texts })),
 *   translateAnswer: (answer, ctx) => ({ status: 200, body: { vectors: toyVectors(answer), promptTokens: ctx.sent.texts.length } }),
 * };
 */
export interface EmbeddingsProtocol<ProviderEmbedRequest> {
  /** The path of one embeddings call (query included) under `basePath`. */
  callPath(basePath: string, model: string): string;
  /** The client's OpenAI embeddings body (`model` already the upstream one) → the provider's, or why it cannot be sent. */
  translateRequest(body: JsonObject): RequestTranslation<ProviderEmbedRequest>;
  /** A 2xx answer, parsed once (undefined: not JSON) → the vectors in input order, or the error it amounts to. */
  translateAnswer(answer: unknown, ctx: EmbeddingsContext<ProviderEmbedRequest>): EmbeddingsAnswer;
}

/**
 * One provider protocol; `ProviderEmbedRequest` is the body of its embeddings call, when it has one.
 *
 * @example
 * const toy: ProtocolDefinition<{ prompt: string }> = {
 *   streamMediaType: 'application/x-ndjson',
 *   basePath: (pathname) => pathname.replace(/\/+$/, ''),
 *   callPath: (base, call) => `${base}/generate${call.stream ? '?stream=1' : ''}`,
 *   requestHeaders: (apiKey) => (apiKey ? { 'x-key': apiKey } : {}),
 *   translateRequest: (body) => ({ ok: true, body: { prompt: String(body.prompt) } }),
 *   translateAnswer: (answer, ctx) => toyCompletion(answer, ctx),
 *   startStream: (ctx) => { const t = new ToyTranslator(ctx); return { translator: t, usage: () => t.usage }; },
 *   translateError: (status, body) => mappedError(status, isObject(body) ? String(body.error) : `HTTP ${status}`),
 * };
 */
export interface ProtocolDefinition<ProviderRequest, ProviderEmbedRequest = never> {
  /** The `accept` of a streamed call (`text/event-stream`, `application/x-ndjson`). */
  readonly streamMediaType: string;
  /** The configured base URL's path → the path calls start from (computed once per adapter). */
  basePath(pathname: string): string;
  /** The path of one call (query included) under `basePath`. */
  callPath(basePath: string, call: CallTarget): string;
  /** Protocol and credential headers; `apiKey` undefined: send no credentials. */
  requestHeaders(apiKey: string | undefined): Record<string, string>;
  /** The client's OpenAI chat body → the provider's, or why it cannot be sent. */
  translateRequest(body: JsonObject, stream: boolean): RequestTranslation<ProviderRequest>;
  /** A 2xx answer, parsed once (undefined: not JSON) → a chat completion, or the error it amounts to. */
  translateAnswer(answer: unknown, ctx: AnswerContext): TranslatedAnswer;
  /** A new translator for one streamed answer. */
  startStream(ctx: StreamContext): StreamTranslation;
  /** A non-2xx answer's body, parsed once (undefined: not JSON) → the OpenAI error to answer with. */
  translateError(status: number, body: unknown): MappedError;
  /** OpenAI-style headers derived from the provider's own (rate limits), added where absent. */
  derivedHeaders?(upstream: ResponseHeaders, nowMs: number): Record<string, string>;
  /** The OpenAI error for a translation failure reported in-band (default: server_error, upstream_stream_error). */
  inBandError?(err: StreamTranslationError): OpenAIErrorObject;
  /** Embeddings, when the provider serves them (the adapter then lists the `embeddings` endpoint). */
  readonly embeddings?: EmbeddingsProtocol<ProviderEmbedRequest>;
}

/** Google Gemini's native API as a protocol definition for `TranslatingAdapter`. */
import { randomHex } from '../random-hex.js';
import { isObject } from '../translating/guards.js';
import type { AnswerContext, ProtocolDefinition } from '../translating/protocol.js';
import { tryMapRequest } from '../translating/request-mapping.js';
import { fromGeminiEmbeddings, toGeminiEmbedRequest } from './embeddings.js';
import { toGeminiRequest } from './request.js';
import { fromGeminiResponse, googleError, type ResponseContext } from './response.js';
import { GeminiStreamTranslator } from './stream.js';
import { type GeminiEmbedRequest, type GeminiRequest, type GeminiResponse, geminiModelName } from './wire.js';

/**
 * `models/{model}:generateContent` and `:streamGenerateContent?alt=sse`; embeddings through
 * `models/{model}:batchEmbedContents`. The key travels in `x-goog-api-key`, never in the URL (URLs end
 * up in logs).
 */
export const geminiProtocol: ProtocolDefinition<GeminiRequest, GeminiEmbedRequest> = {
  streamMediaType: 'text/event-stream',
  // base_url carries the API version (…/v1beta); a bare host gets the SDK's default.
  basePath: (pathname) => pathname.replace(/\/+$/, '') || '/v1beta',
  callPath: (base, call) => `${base}/${modelPath(call.model)}:${call.stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
  requestHeaders: (apiKey): Record<string, string> => (apiKey ? { 'x-goog-api-key': apiKey } : {}),
  translateRequest: (body) => tryMapRequest(() => toGeminiRequest(body)),
  // Fields are read defensively, so any object will do as a GeminiResponse; anything else has no candidates.
  translateAnswer: (answer, ctx) => fromGeminiResponse(isObject(answer) ? (answer as GeminiResponse) : {}, responseContext(ctx)),
  startStream(ctx) {
    const translator = new GeminiStreamTranslator({ ...responseContext(ctx), includeUsage: ctx.includeUsage });
    return { translator, usage: () => translator.usage() };
  },
  translateError: googleError,
  embeddings: {
    callPath: (base, model) => `${base}/${modelPath(model)}:batchEmbedContents`,
    translateRequest: (body) => tryMapRequest(() => toGeminiEmbedRequest(body)),
    translateAnswer: (answer, ctx) => fromGeminiEmbeddings(answer, ctx.sent),
  },
};

/** Gemini gives no completion id and may give no call ids: random ones, as OpenAI's look. */
function responseContext(ctx: AnswerContext): ResponseContext {
  return {
    id: `chatcmpl-${randomHex(12)}`,
    created: Math.floor(ctx.nowMs / 1000),
    model: ctx.model,
    newToolCallId: () => `call_${randomHex(12)}`,
  };
}

/** `gemini-2.5-flash` → `models/gemini-2.5-flash`; `models/…` and `tunedModels/…` names stay as they are. */
function modelPath(model: string): string {
  const name = geminiModelName(model);
  // Dot segments are escaped too: a model name must never walk the request to another path.
  return name
    .split('/')
    .map((seg) => (/^\.+$/.test(seg) ? seg.replaceAll('.', '%2E') : encodeURIComponent(seg)))
    .join('/');
}

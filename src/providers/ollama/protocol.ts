/** Ollama's native chat and embed APIs as a protocol definition for `TranslatingAdapter`. */
import type { ProtocolDefinition } from '../translating/protocol.js';
import { tryMapRequest } from '../translating/request-mapping.js';
import { fromOllamaEmbeddings, type OllamaEmbedRequest, toOllamaEmbedRequest } from './embeddings.js';
import { type OllamaChatRequest, toOllamaRequest } from './request.js';
import { ollamaAnswer, ollamaError, randomIds } from './response.js';
import { OllamaStreamTranslator } from './stream.js';

/**
 * `POST {root}/api/chat`: JSON answers, NDJSON streams, `{"error": "..."}` errors; embeddings through
 * `POST {root}/api/embed`. Ollama itself takes no key; a proxy in front of it may, as a bearer token.
 */
export const ollamaProtocol: ProtocolDefinition<OllamaChatRequest, OllamaEmbedRequest> = {
  streamMediaType: 'application/x-ndjson',
  basePath: ollamaRoot,
  callPath: (root) => `${root}/api/chat`,
  requestHeaders: (apiKey): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  translateRequest: (body, stream) => tryMapRequest(() => toOllamaRequest(body, stream)),
  translateAnswer: (answer, ctx) => ollamaAnswer(answer, ctx.model, randomIds()),
  startStream(ctx) {
    const translator = new OllamaStreamTranslator({ model: ctx.model, includeUsage: ctx.includeUsage, ids: randomIds() });
    return { translator, usage: () => translator.usage };
  },
  translateError: ollamaError,
  embeddings: {
    callPath: (root) => `${root}/api/embed`,
    translateRequest: (body) => tryMapRequest(() => toOllamaEmbedRequest(body)),
    translateAnswer: (answer, ctx) => fromOllamaEmbeddings(answer, ctx.sent),
  },
};

/** The server root from a configured base URL: a trailing `/v1` or `/api` is not part of it. */
export function ollamaRoot(pathname: string): string {
  return pathname.replace(/\/+$/, '').replace(/\/(v1|api)$/, '');
}

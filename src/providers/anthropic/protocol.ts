/** Anthropic's Messages API as a protocol definition for `TranslatingAdapter` (protocols.md 4). */
import { notAnAnswer } from '../translating/error-mapping.js';
import type { ProtocolDefinition } from '../translating/protocol.js';
import { anthropicError, rateLimitHeaders } from './errors.js';
import { type AnthropicRequest, toAnthropicRequest } from './request.js';
import { toChatCompletion } from './response.js';
import { AnthropicStreamTranslator, anthropicInBandError } from './stream.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/** `POST {base_url}/messages`, where base_url includes the version (https://api.anthropic.com/v1). */
export const anthropicProtocol: ProtocolDefinition<AnthropicRequest> = {
  streamMediaType: 'text/event-stream',
  basePath: (pathname) => pathname.replace(/\/+$/, ''),
  callPath: (base) => `${base}/messages`,
  requestHeaders: (apiKey) => ({ 'anthropic-version': ANTHROPIC_VERSION, ...(apiKey ? { 'x-api-key': apiKey } : {}) }),
  translateRequest: toAnthropicRequest,
  translateAnswer(answer, ctx) {
    const completion = toChatCompletion(answer, ctx.nowMs);
    return completion ? { status: 200, body: completion } : notAnAnswer('The provider answered with a body that is not a Messages response.');
  },
  startStream(ctx) {
    const translator = new AnthropicStreamTranslator({ includeUsage: ctx.includeUsage, nowMs: ctx.nowMs, model: ctx.model });
    return { translator, usage: () => translator.usage() };
  },
  translateError: anthropicError,
  derivedHeaders: rateLimitHeaders,
  inBandError: anthropicInBandError,
};

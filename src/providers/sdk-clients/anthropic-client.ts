/**
 * A provider that is the caller's own `@anthropic-ai/sdk` client: the OpenAI chat request translated to
 * a Messages request, sent with `client.messages.create(body, { signal })`, and the answer, its event
 * stream and its errors translated back, all by the Anthropic adapter's own translators (protocol.ts).
 */
import { anthropicProtocol } from '../anthropic/protocol.js';
import { jsonUpstreamResponse } from '../respond-as-openai.js';
import { isMappedError } from '../translating/error-mapping.js';
import { pipeTranslated } from '../translating/translated-stream.js';
import { errorAnswer, includesUsage, refusedRequest } from '../translating/translating-adapter.js';
import type { UpstreamCall, UpstreamResponse } from '../types.js';
import { SdkClientAdapter, type StreamFrames } from './client-adapter.js';
import type { AnthropicMessagesClient } from './types.js';

/**
 * Each event as the Messages API sends it (`event:` its type), for the stream translator; the SDK's
 * error for an `error` event carries that event's body.
 */
const ANTHROPIC_FRAMES: StreamFrames = {
  event: (event) => `event: ${eventType(event)}\ndata: ${JSON.stringify(event)}\n\n`,
  error: (body) => `event: error\ndata: ${JSON.stringify(body)}\n\n`,
};

function eventType(event: unknown): string {
  const type = typeof event === 'object' && event !== null ? Reflect.get(event, 'type') : undefined;
  return typeof type === 'string' ? type : 'message';
}

/**
 * Chat completions through an Anthropic client (its base URL, fetch, retries and key), translated both
 * ways as the `anthropic` adapter translates them.
 *
 * @example
 * const adapter = new AnthropicClientAdapter(providerConfig, new Anthropic({ apiKey, maxRetries: 0 }));
 * const res = await adapter.send(call); // res.body: an OpenAI chat.completion
 */
export class AnthropicClientAdapter extends SdkClientAdapter<AnthropicMessagesClient> {
  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const protocol = anthropicProtocol;
    const request = protocol.translateRequest(call.body, call.stream);
    if (!request.ok) return refusedRequest(request);
    const model = request.body.model;
    const body = { ...request.body, stream: call.stream };
    const sent = await this.request(call, (options) => this.client.messages.create(body, options));
    const nowMs = Date.now();
    const redact = this.redact();
    if (!sent.ok) {
      const { status, body: errorBody, headers } = sent.failure;
      return errorAnswer(protocol.translateError(status, errorBody), headers, protocol.derivedHeaders?.(headers, nowMs), redact);
    }
    if (call.stream) {
      const { translator, usage } = protocol.startStream({ model, nowMs, includeUsage: includesUsage(call.body) });
      const source = this.streamBody(sent.value, sent.controller, call, ANTHROPIC_FRAMES);
      const translated = pipeTranslated(source, translator, { redact, ...(protocol.inBandError ? { inBandError: protocol.inBandError } : {}) });
      return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: translated, streamUsage: usage };
    }
    const answer = protocol.translateAnswer(sent.value, { model, nowMs });
    if (isMappedError(answer)) return errorAnswer(answer, {}, undefined, redact);
    return jsonUpstreamResponse(200, answer.body, { 'content-type': 'application/json' });
  }
}

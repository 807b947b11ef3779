/**
 * A provider that is the caller's own `openai` client: `client.chat.completions.create(body, { signal })`,
 * the answer given back as the OpenAI wire format every adapter answers in (JSON, or server-sent events
 * whose end the gateway's relay judges as for any OpenAI upstream).
 */
import { jsonUpstreamResponse } from '../respond-as-openai.js';
import { type MappedError, mappedError } from '../translating/error-mapping.js';
import { isObject } from '../translating/guards.js';
import { errorAnswer } from '../translating/translating-adapter.js';
import type { UpstreamCall, UpstreamResponse } from '../types.js';
import { SdkClientAdapter, type StreamFrames } from './client-adapter.js';
import type { SdkFailure } from './sdk-errors.js';
import type { OpenAIChatClient } from './types.js';

/**
 * Each chunk as a `data:` event. The SDK drops `[DONE]`: the relay adds it once every choice has
 * finished, and reports a stream that ended before that as cut short (as for any OpenAI upstream).
 */
const OPENAI_FRAMES: StreamFrames = {
  event: (chunk) => `data: ${JSON.stringify(chunk)}\n\n`,
  error: (body) => `data: ${JSON.stringify({ error: isObject(body) ? body : { message: String(body), type: 'server_error', param: null, code: null } })}\n\n`,
};

/**
 * Chat completions through an `openai` client (its base URL, fetch, retries and key).
 *
 * @example
 * const adapter = new OpenAIClientAdapter(providerConfig, new OpenAI({ apiKey, maxRetries: 0 }));
 * const res = await adapter.send(call); // res.status 200, res.body: the completion's JSON
 */
export class OpenAIClientAdapter extends SdkClientAdapter<OpenAIChatClient> {
  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const b = call.body;
    const body = { ...b, model: typeof b.model === 'string' ? b.model : '', messages: Array.isArray(b.messages) ? b.messages : [], stream: call.stream };
    const sent = await this.request(call, (options) => this.client.chat.completions.create(body, options));
    if (!sent.ok) return errorAnswer(openAIError(sent.failure), sent.failure.headers, undefined, this.redact());
    if (!call.stream) return jsonUpstreamResponse(200, sent.value, { 'content-type': 'application/json' });
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: this.streamBody(sent.value, sent.controller, call, OPENAI_FRAMES) };
  }
}

/**
 * The provider's error answer in OpenAI's envelope, with its status (the SDK gives the envelope's inner
 * object; a body that was not JSON gives none).
 *
 * @example
 * openAIError({ kind: 'status', status: 429, body: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' }, headers: {} });
 * // { status: 429, body: { error: { message: 'slow down', type: 'requests', param: null, code: 'rate_limit_exceeded' } } }
 */
export function openAIError(f: Extract<SdkFailure, { kind: 'status' }>): MappedError {
  const inner = isObject(f.body) ? f.body : {};
  const message = typeof inner.message === 'string' && inner.message !== '' ? inner.message : `The provider answered HTTP ${f.status}.`;
  return { status: f.status, body: { error: { ...mappedError(f.status, message).body.error, ...inner, message } } };
}

import type { ProviderConfig } from '../../config/schema.js';
import { post, type UpstreamAgents } from '../http-client.js';
import { errorUpstreamResponse, jsonUpstreamResponse, readText } from '../respond-as-openai.js';
import { CHAT_ONLY, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from '../types.js';
import { toOpenAIError, translateHeaders } from './errors.js';
import { toAnthropicRequest } from './request.js';
import { toChatCompletion } from './response.js';
import { AnthropicStreamTranslator, anthropicToOpenAIStream } from './stream.js';

export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * Anthropic's Messages API (`base_url` includes the version, e.g. https://api.anthropic.com/v1):
 * OpenAI chat requests are translated to `POST {base}/messages`, and answers, event streams and
 * errors back into OpenAI's wire format.
 */
export class AnthropicAdapter implements ProviderAdapter {
  private readonly url: URL;
  private readonly basePath: string;
  readonly endpoints = CHAT_ONLY;

  constructor(
    readonly config: ProviderConfig,
    private readonly agents: UpstreamAgents,
  ) {
    this.url = new URL(config.base_url);
    this.basePath = this.url.pathname.replace(/\/+$/, '');
  }

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const mapped = toAnthropicRequest(call.body, call.stream);
    if (!mapped.ok) {
      const error = { message: mapped.message, type: 'invalid_request_error', param: mapped.param, code: mapped.code };
      return jsonUpstreamResponse(400, { error }, { 'content-type': 'application/json' });
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
      'anthropic-version': ANTHROPIC_VERSION,
    };
    if (call.apiKey) headers['x-api-key'] = call.apiKey;
    const res = await post({
      agents: this.agents,
      url: this.url,
      path: `${this.basePath}/messages`,
      headers,
      body: JSON.stringify(mapped.body),
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
    const now = Date.now();

    if (res.status < 200 || res.status >= 300) {
      const e = toOpenAIError(res.status, await readText(res.body));
      return jsonUpstreamResponse(e.status, e.body, translateHeaders(res.headers, 'application/json', now));
    }

    if (call.stream) {
      const options = call.body.stream_options;
      const includeUsage = typeof options === 'object' && options !== null && (options as { include_usage?: unknown }).include_usage === true;
      const translator = new AnthropicStreamTranslator({ includeUsage, nowMs: now, model: mapped.body.model });
      const body = anthropicToOpenAIStream(res.body, translator);
      return { status: 200, headers: translateHeaders(res.headers, 'text/event-stream', now), body, streamUsage: () => translator.usage() };
    }

    const outHeaders = translateHeaders(res.headers, 'application/json', now);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readText(res.body));
    } catch {
      parsed = undefined;
    }
    const completion = toChatCompletion(parsed, now);
    if (!completion) return errorUpstreamResponse(502, 'The provider answered with a body that is not a Messages response.', 'server_error', 'bad_upstream_response', outHeaders);
    return jsonUpstreamResponse(200, completion, outHeaders);
  }
}

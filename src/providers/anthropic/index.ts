import type { ProviderConfig } from '../../config/schema.js';
import { post, type UpstreamAgents } from '../http-client.js';
import { TranslatingAdapter } from '../translating/translating-adapter.js';
import type { NativeCall, NativeProtocol, UpstreamResponse } from '../types.js';
import { ANTHROPIC_VERSION, anthropicProtocol } from './protocol.js';
import type { AnthropicRequest } from './request.js';

export { ANTHROPIC_VERSION } from './protocol.js';

/**
 * Anthropic's Messages API (`base_url` includes the version, e.g. https://api.anthropic.com/v1):
 * OpenAI chat requests are translated to `POST {base}/messages`, and answers, event streams and
 * errors back into OpenAI's wire format.
 */
export class AnthropicAdapter extends TranslatingAdapter<AnthropicRequest> {
  readonly nativeProtocols: ReadonlySet<NativeProtocol> = new Set<NativeProtocol>(['anthropic-messages']);

  constructor(config: ProviderConfig, agents: UpstreamAgents) {
    super(config, agents, anthropicProtocol);
  }

  /** A Messages request as the caller sent it: its bytes, its `anthropic-version` and `anthropic-beta`, our key. */
  sendNative(call: NativeCall): Promise<UpstreamResponse> {
    return this.postNative(call, `${this.basePath}/messages`);
  }

  /**
   * A `count_tokens` request as the caller sent it (`POST {base}/messages/count_tokens`), its protocol
   * headers and our key; the answer (JSON, or an error envelope) comes back untouched.
   *
   * @example
   * const res = await adapter.countTokens({ protocol: 'anthropic-messages', body, raw, stream: false, requestId, cancel, idleTimeoutMs: 30_000, apiKey, headers: {} });
   */
  countTokens(call: NativeCall): Promise<UpstreamResponse> {
    return this.postNative(call, `${this.basePath}/messages/count_tokens`);
  }

  private postNative(call: NativeCall, path: string): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
      'anthropic-version': call.headers['anthropic-version'] ?? ANTHROPIC_VERSION,
      'x-request-id': call.requestId,
    };
    const beta = call.headers['anthropic-beta'];
    if (beta) headers['anthropic-beta'] = beta;
    if (call.apiKey) headers['x-api-key'] = call.apiKey;
    return post({
      agents: this.agents,
      origin: this.origin,
      path,
      headers,
      body: call.raw ?? JSON.stringify(call.body),
      streamed: call.stream,
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
  }
}

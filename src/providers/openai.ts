import type { ProviderConfig } from '../config/schema.js';
import { post, type UpstreamAgents } from './http-client.js';
import { ALL_ENDPOINTS, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from './types.js';

/**
 * OpenAI and every OpenAI-compatible server: the body goes upstream as the client sent it (model
 * swapped) and the answer comes back byte for byte.
 */
export class OpenAIAdapter implements ProviderAdapter {
  private readonly url: URL;
  private readonly basePath: string;
  readonly endpoints = ALL_ENDPOINTS;

  constructor(
    readonly config: ProviderConfig,
    private readonly agents: UpstreamAgents,
  ) {
    this.url = new URL(config.base_url);
    this.basePath = this.url.pathname.replace(/\/+$/, '');
  }

  send(call: UpstreamCall): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
      'x-request-id': call.requestId,
    };
    if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
    return post({
      agents: this.agents,
      url: this.url,
      path: `${this.basePath}/${call.endpoint}`,
      headers,
      body: call.raw ?? JSON.stringify(call.body),
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
  }
}

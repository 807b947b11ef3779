import { request, type Dispatcher } from 'undici';
import type { ProviderConfig } from '../config/schema.js';
import type { ProviderAdapter, UpstreamCall, UpstreamResponse } from './types.js';

/**
 * OpenAI and every OpenAI-compatible server: the body goes upstream as the client sent it (model
 * swapped) and the answer comes back byte for byte.
 */
export class OpenAIAdapter implements ProviderAdapter {
  private readonly base: string;
  private readonly auth: string | undefined;

  constructor(
    readonly config: ProviderConfig,
    private readonly dispatcher: Dispatcher,
  ) {
    this.base = config.base_url.replace(/\/+$/, '');
    this.auth = config.api_key ? `Bearer ${config.api_key}` : undefined;
  }

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
      'x-request-id': call.requestId,
    };
    if (this.auth) headers.authorization = this.auth;
    const res = await request(`${this.base}/${call.endpoint}`, {
      method: 'POST',
      headers,
      body: call.raw ?? JSON.stringify(call.body),
      signal: call.signal,
      dispatcher: this.dispatcher,
      bodyTimeout: call.idleTimeoutMs,
    });
    return { status: res.statusCode, headers: res.headers, body: res.body };
  }
}

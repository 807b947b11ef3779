import type { ProviderConfig } from '../../config/schema.js';
import type { UpstreamAgents } from '../http-client.js';
import { CHAT_ONLY, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from '../types.js';

/** Placeholder until the anthropic adapter lands. */
export class AnthropicAdapter implements ProviderAdapter {
  readonly endpoints = CHAT_ONLY;

  constructor(
    readonly config: ProviderConfig,
    private readonly agents: UpstreamAgents,
  ) {}

  send(_call: UpstreamCall): Promise<UpstreamResponse> {
    void this.agents;
    return Promise.reject(new Error('anthropic adapter not implemented'));
  }
}

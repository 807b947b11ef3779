import type { ProviderConfig } from '../../config/schema.js';
import type { UpstreamAgents } from '../http-client.js';
import { TranslatingAdapter } from '../translating/translating-adapter.js';
import { anthropicProtocol } from './protocol.js';
import type { AnthropicRequest } from './request.js';

export { ANTHROPIC_VERSION } from './protocol.js';

/**
 * Anthropic's Messages API (`base_url` includes the version, e.g. https://api.anthropic.com/v1):
 * OpenAI chat requests are translated to `POST {base}/messages`, and answers, event streams and
 * errors back into OpenAI's wire format.
 */
export class AnthropicAdapter extends TranslatingAdapter<AnthropicRequest> {
  constructor(config: ProviderConfig, agents: UpstreamAgents) {
    super(config, agents, anthropicProtocol);
  }
}

import type { ProviderConfig } from '../../config/schema.js';
import type { UpstreamAgents } from '../http-client.js';
import { TranslatingAdapter } from '../translating/translating-adapter.js';
import { geminiProtocol } from './protocol.js';
import type { GeminiEmbedRequest, GeminiRequest } from './wire.js';

/**
 * Google Gemini's native API (`models/{model}:generateContent`, `:streamGenerateContent?alt=sse`):
 * OpenAI chat requests are translated to Gemini's and the answers, streams and errors back to OpenAI's;
 * embeddings go through `:batchEmbedContents`. The key travels in `x-goog-api-key`, never in the URL.
 */
export class GeminiAdapter extends TranslatingAdapter<GeminiRequest, GeminiEmbedRequest> {
  constructor(config: ProviderConfig, agents: UpstreamAgents) {
    super(config, agents, geminiProtocol);
  }
}

import type { ProviderConfig } from '../../config/schema.js';
import type { UpstreamAgents } from '../http-client.js';
import { TranslatingAdapter } from '../translating/translating-adapter.js';
import type { OllamaEmbedRequest } from './embeddings.js';
import { ollamaProtocol } from './protocol.js';
import type { OllamaChatRequest } from './request.js';

/**
 * Ollama's native chat API (`POST {root}/api/chat`), translated both ways: OpenAI requests become
 * Ollama bodies, Ollama's JSON and NDJSON answers become chat.completion and OpenAI SSE, its
 * `{"error": "..."}` answers become the OpenAI envelope with Ollama's status. Embeddings go through
 * `POST {root}/api/embed`.
 */
export class OllamaAdapter extends TranslatingAdapter<OllamaChatRequest, OllamaEmbedRequest> {
  constructor(config: ProviderConfig, agents: UpstreamAgents) {
    super(config, agents, ollamaProtocol);
  }
}

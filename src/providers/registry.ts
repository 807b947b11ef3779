import type { ProviderConfig } from '../config/schema.js';
import type { UpstreamAgents } from './http-client.js';
import { AnthropicAdapter } from './anthropic/index.js';
import { GeminiAdapter } from './gemini/index.js';
import { OllamaAdapter } from './ollama/index.js';
import { OpenAIAdapter } from './openai.js';
import type { ProviderAdapter } from './types.js';

/** Which adapter speaks which `type`. Vendors that speak OpenAI's protocol need no code, only a type. */
const ADAPTERS: Record<string, new (config: ProviderConfig, agents: UpstreamAgents) => ProviderAdapter> = {
  openai: OpenAIAdapter,
  openai_compatible: OpenAIAdapter,
  anthropic: AnthropicAdapter,
  gemini: GeminiAdapter,
  ollama: OllamaAdapter,
};

export function createAdapter(config: ProviderConfig, agents: UpstreamAgents): ProviderAdapter {
  const Adapter = ADAPTERS[config.type];
  if (!Adapter) throw new Error(`no adapter for provider type "${config.type}"`);
  return new Adapter(config, agents);
}

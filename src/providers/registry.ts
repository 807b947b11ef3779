import type { ProviderConfig } from '../config/schema.js';
import type { UpstreamAgents } from './http-client.js';
import { OpenAIAdapter } from './openai.js';
import type { ProviderAdapter } from './types.js';

type AdapterClass = new (config: ProviderConfig, agents: UpstreamAgents) => ProviderAdapter;

/**
 * Which adapter speaks which `type`. Vendors that speak OpenAI's protocol need no code, only a type.
 * Translating adapters are loaded when a config first uses them, so an instance carries only its own.
 */
const LOADERS: Record<string, () => Promise<AdapterClass>> = {
  openai: async () => OpenAIAdapter,
  openai_compatible: async () => OpenAIAdapter,
  anthropic: async () => (await import('./anthropic/index.js')).AnthropicAdapter,
  gemini: async () => (await import('./gemini/index.js')).GeminiAdapter,
  ollama: async () => (await import('./ollama/index.js')).OllamaAdapter,
};

export type AdapterClasses = ReadonlyMap<string, AdapterClass>;

/** Loads the adapters the given providers need (at start and on reload, never per request). */
export async function loadAdapters(providers: readonly ProviderConfig[]): Promise<AdapterClasses> {
  const out = new Map<string, AdapterClass>();
  for (const type of new Set(providers.map((p) => p.type))) {
    const load = LOADERS[type];
    if (!load) throw new Error(`no adapter for provider type "${type}"`);
    out.set(type, await load());
  }
  return out;
}

export function createAdapter(config: ProviderConfig, agents: UpstreamAgents, classes: AdapterClasses): ProviderAdapter {
  const Adapter = classes.get(config.type);
  if (!Adapter) throw new Error(`no adapter loaded for provider type "${config.type}"`);
  return new Adapter(config, agents);
}

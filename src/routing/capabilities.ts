import type { Capabilities, ProviderConfig } from '../config/schema.js';
import type { ProviderLookup } from '../core/provider-runtime.js';
import type { Candidate } from './strategy.js';

/** What a request needs from a model. */
export interface Needs {
  vision: boolean;
  tools: boolean;
  json_mode: boolean;
  /** Estimated prompt tokens plus the requested completion cap. */
  tokens: number;
}

export function needsOf(body: Record<string, unknown>, estimatedPromptTokens: number, maxTokens: number | undefined): Needs {
  const format = (body.response_format as { type?: unknown } | undefined)?.type;
  return {
    vision: hasImages(body.messages),
    tools: Array.isArray(body.tools) && body.tools.length > 0,
    json_mode: format === 'json_object' || format === 'json_schema',
    tokens: estimatedPromptTokens + (maxTokens ?? 0),
  };
}

function hasImages(messages: unknown): boolean {
  if (!Array.isArray(messages)) return false;
  for (const m of messages as Array<{ content?: unknown }>) {
    if (!Array.isArray(m?.content)) continue;
    for (const part of m.content as Array<{ type?: unknown }>) if (part?.type === 'image_url' || part?.type === 'input_image') return true;
  }
  return false;
}

/** A provider's declared capabilities for one upstream model (model entries over provider-wide ones). */
export function capabilitiesOf(p: ProviderConfig, model: string): Capabilities {
  return { ...p.capabilities, ...p.model_capabilities?.[model] };
}

/** Why a candidate cannot take the request, or undefined when it can. Undeclared capabilities count as present. */
export function unmetNeed(c: Capabilities, n: Needs): string | undefined {
  if (n.vision && c.vision === false) return 'image input';
  if (n.tools && c.tools === false) return 'tools';
  if (n.json_mode && c.json_mode === false) return 'JSON mode';
  if (c.context_window !== undefined && n.tokens > c.context_window) return `a context window over ${c.context_window} tokens`;
  return undefined;
}

/** Keeps the candidates that can serve the request; says what was missing when none can. */
export function filterByCapabilities(candidates: readonly Candidate[], providers: ProviderLookup, n: Needs): { kept: Candidate[]; missing: string[] } {
  const kept: Candidate[] = [];
  const missing = new Set<string>();
  for (const c of candidates) {
    const p = providers.get(c.provider);
    const why = p ? unmetNeed(capabilitiesOf(p, c.model), n) : 'a configured provider';
    if (why) missing.add(why);
    else kept.push(c);
  }
  return { kept, missing: [...missing] };
}

/** Token counts of one response, from the OpenAI `usage` object. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export interface Price {
  input: number;
  output: number;
}

/** Reads an OpenAI `usage` object; undefined when it is missing or not numeric. */
export function readUsage(body: unknown): Usage | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const u = (body as { usage?: unknown }).usage;
  if (!u || typeof u !== 'object') return undefined;
  const { prompt_tokens, completion_tokens } = u as Record<string, unknown>;
  if (typeof prompt_tokens !== 'number' && typeof completion_tokens !== 'number') return undefined;
  return {
    promptTokens: typeof prompt_tokens === 'number' ? prompt_tokens : 0,
    completionTokens: typeof completion_tokens === 'number' ? completion_tokens : 0,
  };
}

/** USD for a usage at prices given per million tokens. */
export function costOf(usage: Usage, price: Price | undefined): number {
  if (!price) return 0;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}

const USAGE_MARKER = '"usage":{';

/**
 * Finds the usage chunk near the end of an OpenAI SSE stream (sent when the client asked for
 * `stream_options.include_usage`). Only the stream's tail is searched, so the stream itself is never buffered.
 */
export function usageFromStreamTail(tail: string): Usage | undefined {
  const at = tail.lastIndexOf(USAGE_MARKER);
  if (at < 0) return undefined;
  const lineStart = tail.lastIndexOf('data:', at);
  const lineEnd = tail.indexOf('\n', at);
  if (lineStart < 0 || lineEnd < 0) return undefined;
  try {
    return readUsage(JSON.parse(tail.slice(lineStart + 5, lineEnd)));
  } catch {
    return undefined;
  }
}

/** Anthropic Messages response → OpenAI chat.completion (protocols.md 4.2). Pure: no I/O. */
import type { ChatCompletion, OpenAIToolCall, OpenAIUsage } from '../openai-wire.js';
import { isObject, tokenCount } from '../translating/guards.js';

/** Anthropic `stop_reason` → OpenAI `finish_reason`. */
export function finishReason(stopReason: unknown): string {
  switch (stopReason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn, null, unknown
  }
}

/** Raw Anthropic token counts (input excludes cache reads and writes). */
export interface AnthropicUsage {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

export function readAnthropicUsage(u: unknown): AnthropicUsage | undefined {
  if (!isObject(u)) return undefined;
  return { input: tokenCount(u.input_tokens), output: tokenCount(u.output_tokens), cacheRead: tokenCount(u.cache_read_input_tokens), cacheWrite: tokenCount(u.cache_creation_input_tokens) };
}

/** OpenAI semantics: prompt_tokens includes the cached and cache-written tokens; cached_tokens is the read subset. */
export function toOpenAIUsage(u: AnthropicUsage): OpenAIUsage {
  const prompt = u.input + u.cacheRead + u.cacheWrite;
  return {
    prompt_tokens: prompt,
    completion_tokens: u.output,
    total_tokens: prompt + u.output,
    prompt_tokens_details: { cached_tokens: u.cacheRead, ...(u.cacheWrite > 0 ? { cache_write_tokens: u.cacheWrite } : {}) },
  };
}

/** A `type: "message"` body as an OpenAI chat.completion; undefined when the body is not a message. */
export function toChatCompletion(msg: unknown, nowMs: number): ChatCompletion | undefined {
  if (!isObject(msg) || !Array.isArray(msg.content)) return undefined;
  const texts: string[] = [];
  const calls: OpenAIToolCall[] = [];
  for (const b of msg.content) {
    if (!isObject(b)) continue;
    if (b.type === 'text' && typeof b.text === 'string') texts.push(b.text);
    else if (b.type === 'tool_use') {
      calls.push({ id: String(b.id ?? ''), type: 'function', function: { name: String(b.name ?? ''), arguments: JSON.stringify(b.input ?? {}) } });
    }
    // thinking, redacted_thinking and server-tool blocks have no OpenAI equivalent: dropped.
  }
  const content = texts.length > 0 ? texts.join('') : calls.length > 0 ? null : '';
  const usage = readAnthropicUsage(msg.usage);
  return {
    id: typeof msg.id === 'string' ? msg.id : `chatcmpl-${nowMs.toString(36)}`,
    object: 'chat.completion',
    created: Math.floor(nowMs / 1000),
    model: typeof msg.model === 'string' ? msg.model : '',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null, ...(calls.length > 0 ? { tool_calls: calls } : {}) },
        logprobs: null,
        finish_reason: finishReason(msg.stop_reason),
      },
    ],
    ...(usage ? { usage: toOpenAIUsage(usage) } : {}),
  };
}

/**
 * Ollama native answers → OpenAI wire format: the non-streaming chat.completion, the pieces the
 * stream translator shares (tool calls, finish reason, usage), and errors as the OpenAI envelope.
 * Pure: ids come from an injected source so tests are deterministic.
 */

import type { Usage } from '../../telemetry/usage.js';
import type { ChatCompletion, OpenAIErrorObject, OpenAIToolCall, OpenAIUsage } from '../openai-wire.js';
import { randomHex } from '../random-hex.js';
import { errorTypeFor } from '../respond-as-openai.js';
import { type MappedError, mappedError, notAnAnswer, type TranslatedAnswer } from '../translating/error-mapping.js';
import { isObject, type JsonObject, parseJson, tokenCount } from '../translating/guards.js';

/** Ids for one answer: the completion id, and one per tool call (by position) when Ollama sends none. */
export interface IdSource {
  completion: string;
  toolCall(index: number): string;
}

export function randomIds(): IdSource {
  const tag = randomHex(12);
  return { completion: `chatcmpl-${tag}`, toolCall: (n) => `call_${tag}_${n}` };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** Ollama's tool calls (arguments as an object) → OpenAI's (arguments as JSON text), numbered from `start`. */
export function toolCallsFrom(message: unknown, ids: IdSource, start = 0): OpenAIToolCall[] {
  if (!isObject(message) || !Array.isArray(message.tool_calls)) return [];
  const out: OpenAIToolCall[] = [];
  for (const c of message.tool_calls) {
    if (!isObject(c) || !isObject(c.function)) continue;
    const fn = c.function;
    const args = typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {});
    const id = typeof c.id === 'string' && c.id !== '' ? c.id : ids.toolCall(start + out.length);
    out.push({ id, type: 'function', function: { name: typeof fn.name === 'string' ? fn.name : '', arguments: args } });
  }
  return out;
}

/** `done_reason` → OpenAI: tool calls win (as in Ollama's own compat layer); `length` stays; all else is `stop`. */
export function finishReason(doneReason: unknown, hadToolCalls: boolean): FinishReason {
  if (hadToolCalls) return 'tool_calls';
  return doneReason === 'length' ? 'length' : 'stop';
}

/** Counts are omitempty in Ollama: missing means 0. */
export function usageFrom(r: JsonObject): OpenAIUsage {
  const prompt = tokenCount(r.prompt_eval_count);
  const completion = tokenCount(r.eval_count);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

export const toUsage = (u: OpenAIUsage): Usage => ({ promptTokens: u.prompt_tokens, completionTokens: u.completion_tokens });

/** Unix seconds from `created_at` (RFC 3339 with nanoseconds); now when missing or unreadable. */
export function createdFrom(createdAt: unknown, now: () => number = Date.now): number {
  const ms = typeof createdAt === 'string' ? Date.parse(createdAt) : NaN;
  return Math.floor((Number.isNaN(ms) ? now() : ms) / 1000);
}

/** A whole Ollama answer → chat.completion; undefined when it has no `message` (not an answer). */
export function toChatCompletion(r: unknown, fallbackModel: string, ids: IdSource, now?: () => number): ChatCompletion | undefined {
  if (!isObject(r) || !isObject(r.message)) return undefined;
  const m = r.message;
  const calls = toolCallsFrom(m, ids);
  const text = typeof m.content === 'string' ? m.content : '';
  const message: ChatCompletion['choices'][number]['message'] = {
    role: 'assistant',
    content: text === '' && calls.length > 0 ? null : text,
    refusal: null,
  };
  if (calls.length > 0) message.tool_calls = calls;
  if (typeof m.thinking === 'string' && m.thinking !== '') message.reasoning_content = m.thinking;
  return {
    id: ids.completion,
    object: 'chat.completion',
    created: createdFrom(r.created_at, now),
    model: typeof r.model === 'string' && r.model !== '' ? r.model : fallbackModel,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(r.done_reason, calls.length > 0) }],
    usage: usageFrom(r),
  };
}

/**
 * A whole answer as the adapter gives it: the chat completion, or a 502 when it is not one (a 200
 * carrying `{"error": ...}` keeps Ollama's message).
 */
export function ollamaAnswer(body: unknown, fallbackModel: string, ids: IdSource): TranslatedAnswer {
  const completion = toChatCompletion(body, fallbackModel, ids);
  if (completion) return { status: 200, body: completion };
  const reported = isObject(body) && 'error' in body ? ollamaError(502, body).body.error.message : undefined;
  return notAnAnswer(reported ?? 'Ollama sent a response that is not a chat answer.');
}

/**
 * An Ollama error answer (`{"error":"..."}`, or an OpenAI-shaped envelope from a proxy in front of
 * it; parsed, undefined when not JSON) → the OpenAI envelope, keeping the status. Bodies that are not
 * JSON (HTML from a proxy, gin's "404 page not found") get a generic message.
 */
export function ollamaError(status: number, body: unknown): MappedError {
  const e = isObject(body) ? body.error : undefined;
  const message = typeof e === 'string' ? e : isObject(e) && typeof e.message === 'string' ? e.message : undefined;
  const notFound = status === 404 && message !== undefined && /not found/i.test(message);
  const code = notFound ? 'model_not_found' : status === 429 ? 'rate_limit_exceeded' : null;
  return mappedError(status, message && message.trim() !== '' ? message : `Ollama answered HTTP ${status}.`, errorTypeFor(status), code);
}

/** `ollamaError` from the body's text, as the status and the envelope's fields. */
export function errorFromOllama(status: number, text: string): Pick<MappedError, 'status'> & Omit<OpenAIErrorObject, 'param'> {
  const { message, type, code } = ollamaError(status, parseJson(text)).body.error;
  return { status, message, type, code };
}

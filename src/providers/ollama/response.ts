/**
 * Ollama native answers → OpenAI wire format: the non-streaming chat.completion, the pieces the
 * stream translator shares (tool calls, finish reason, usage), and errors as the OpenAI envelope.
 * Pure: ids come from an injected source so tests are deterministic.
 */
import { randomBytes } from 'node:crypto';
import type { Usage } from '../../telemetry/usage.js';
import type { ChatCompletion, OpenAIToolCall, OpenAIUsage } from '../openai-wire.js';
import { errorTypeFor } from '../respond-as-openai.js';

export type { ChatCompletion, OpenAIToolCall, OpenAIUsage };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Ids for one answer: the completion id, and one per tool call (by position) when Ollama sends none. */
export interface IdSource {
  completion: string;
  toolCall(index: number): string;
}

export function randomIds(): IdSource {
  const tag = randomBytes(12).toString('hex');
  return { completion: `chatcmpl-${tag}`, toolCall: (n) => `call_${tag}_${n}` };
}

export type FinishReason = 'stop' | 'length' | 'tool_calls';

/** Ollama's tool calls (arguments as an object) → OpenAI's (arguments as JSON text), numbered from `start`. */
export function toolCallsFrom(message: unknown, ids: IdSource, start = 0): OpenAIToolCall[] {
  if (!isObj(message) || !Array.isArray(message.tool_calls)) return [];
  const out: OpenAIToolCall[] = [];
  for (const c of message.tool_calls) {
    if (!isObj(c) || !isObj(c.function)) continue;
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
export function usageFrom(r: Obj): OpenAIUsage {
  const prompt = count(r.prompt_eval_count);
  const completion = count(r.eval_count);
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
  if (!isObj(r) || !isObj(r.message)) return undefined;
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

export interface OpenAIErrorParts {
  status: number;
  message: string;
  type: string;
  code: string | null;
}

/**
 * An Ollama error answer (`{"error":"..."}`, or an OpenAI-shaped envelope from a proxy in front of
 * it) → the parts of the OpenAI envelope, keeping the status. Bodies that are not JSON (HTML from a
 * proxy, gin's "404 page not found") get a generic message.
 */
export function errorFromOllama(status: number, text: string): OpenAIErrorParts {
  let message: string | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObj(parsed)) {
      const e = parsed.error;
      if (typeof e === 'string') message = e;
      else if (isObj(e) && typeof e.message === 'string') message = e.message;
    }
  } catch {
    message = undefined;
  }
  const notFound = status === 404 && message !== undefined && /not found/i.test(message);
  const code = notFound ? 'model_not_found' : status === 429 ? 'rate_limit_exceeded' : null;
  return {
    status,
    message: message && message.trim() !== '' ? message : `Ollama answered HTTP ${status}.`,
    type: errorTypeFor(status),
    code,
  };
}

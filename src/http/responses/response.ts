/**
 * Chat completions answers as Response objects: the skeleton every response starts from (the request's
 * echoed fields), a whole chat completion as output items, and usage in the Responses shape. Pure.
 */
import { finiteNumber, isObject, tokenCount } from '../../providers/translating/guards.js';
import { functionCall, message, outputText } from './items.js';
import type { Echo } from './request.js';
import type { ContentPart, IdMaker, OutputItem, ResponseObject, ResponseStatus, ResponseUsage } from './wire.js';

/**
 * A response before its answer: `in_progress`, no output, the request's fields echoed.
 *
 * @example
 * const base = responseSkeleton('gpt-4o', request.echo, newId('resp'), Math.floor(Date.now() / 1000));
 */
export function responseSkeleton(model: string, echo: Echo, id: string, createdAt: number): ResponseObject {
  return {
    id,
    object: 'response',
    created_at: createdAt,
    status: 'in_progress',
    completed_at: null,
    error: null,
    incomplete_details: null,
    model,
    output: [],
    truncation: 'disabled',
    background: false,
    usage: null,
    ...echo,
  };
}

/**
 * A response's final status from the chat finish reason: `length` is incomplete (`max_output_tokens`),
 * `content_filter` incomplete (`content_filter`), anything else completed.
 *
 * @example
 * finishStatus('length'); // { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }
 */
export function finishStatus(finishReason: unknown): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed' satisfies ResponseStatus, incomplete_details: null };
}

/**
 * Chat usage (`prompt_tokens`, `completion_tokens`, details) in the Responses shape; null without one.
 *
 * @example
 * responsesUsage({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
 * // { input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 }
 */
export function responsesUsage(usage: unknown): ResponseUsage | null {
  if (!isObject(usage)) return null;
  const input = tokenCount(usage.prompt_tokens);
  const output = tokenCount(usage.completion_tokens);
  const cached = isObject(usage.prompt_tokens_details) ? tokenCount(usage.prompt_tokens_details.cached_tokens) : 0;
  const reasoning = isObject(usage.completion_tokens_details) ? tokenCount(usage.completion_tokens_details.reasoning_tokens) : 0;
  return {
    input_tokens: input,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: output,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: finiteNumber(usage.total_tokens) ?? input + output,
  };
}

/**
 * A whole chat completion as the finished response: the first choice's text (and refusal) as a
 * `message` item, its tool calls as `function_call` items, the status from its finish reason, usage.
 * Undefined when the answer is not a chat completion.
 *
 * @example
 * responseFromChat(JSON.parse(body), base, newId, Math.floor(Date.now() / 1000));
 * // { ...base, status: 'completed', output: [{ type: 'message', content: [{ type: 'output_text', text: 'Hi' }] }], usage }
 */
export function responseFromChat(chat: unknown, base: ResponseObject, ids: IdMaker, now: number): ResponseObject | undefined {
  if (!isObject(chat) || !Array.isArray(chat.choices)) return undefined;
  const choice: unknown = chat.choices.find((c) => isObject(c) && (c.index ?? 0) === 0) ?? chat.choices[0];
  if (!isObject(choice) || !isObject(choice.message)) return undefined;
  const m = choice.message;
  const output: OutputItem[] = [];
  const content: ContentPart[] = [];
  if (typeof m.content === 'string' && m.content !== '') content.push(outputText(m.content));
  if (typeof m.refusal === 'string' && m.refusal !== '') content.push({ type: 'refusal', refusal: m.refusal });
  if (content.length > 0) output.push(message(ids('msg'), 'assistant', content));
  for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) {
    if (!isObject(call) || !isObject(call.function)) continue;
    const fn = call.function;
    const args = typeof fn.arguments === 'string' ? fn.arguments : JSON.stringify(fn.arguments ?? {});
    output.push(functionCall(ids('fc'), typeof call.id === 'string' ? call.id : ids('call'), typeof fn.name === 'string' ? fn.name : '', args));
  }
  return { ...base, ...finishStatus(choice.finish_reason), completed_at: now, output, usage: responsesUsage(chat.usage) };
}

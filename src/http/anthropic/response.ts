/**
 * OpenAI chat completion → Anthropic message (protocols.md 3.5, 4.4). Pure: no I/O.
 */
import { parseArguments } from '../../providers/anthropic/request.js';
import { isObject, type JsonObject, tokenCount } from '../../providers/translating/guards.js';

/**
 * A content block of an answer.
 *
 * @example
 * const block: MessageBlock = { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } };
 */
export type MessageBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: JsonObject };

/**
 * The stop reasons a translated answer can have.
 *
 * @example
 * const reason: StopReason = 'max_tokens';
 */
export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/**
 * Anthropic's usage: `input_tokens` excludes the cache reads and writes.
 *
 * @example
 * const u: MessagesUsage = { input_tokens: 12, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 6 };
 */
export interface MessagesUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
}

/**
 * A `type: "message"` answer.
 *
 * @example
 * const m: AnthropicMessage | undefined = toAnthropicMessage(completion, { model: 'claude-x', stopSequences: [], requestId: 'req-1' });
 */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: MessageBlock[];
  stop_reason: StopReason;
  stop_sequence: string | null;
  usage: MessagesUsage;
}

/**
 * What the translation of an answer needs from its request.
 *
 * @example
 * const ctx: AnswerContext = { model: 'claude-x', stopSequences: ['###'], requestId: 'req-1' };
 */
export interface AnswerContext {
  /** The model the client asked for: the answer names it. */
  model: string;
  stopSequences: readonly string[];
  /** The gateway's request id: the message id when the completion has none, and named in stream errors. */
  requestId: string;
}

/**
 * A chat completion as an Anthropic message; undefined when the body is not a chat completion.
 *
 * @example
 * toAnthropicMessage({ id: 'chatcmpl-1', choices: [{ message: { content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 9, completion_tokens: 1 } }, { model: 'claude-x', stopSequences: [], requestId: 'req-1' });
 * // { id: 'msg_chatcmpl-1', type: 'message', role: 'assistant', model: 'claude-x', content: [{ type: 'text', text: 'hi' }],
 * //   stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 9, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } }
 */
export function toAnthropicMessage(completion: unknown, ctx: AnswerContext): AnthropicMessage | undefined {
  if (!isObject(completion) || !Array.isArray(completion.choices)) return undefined;
  const choice = completion.choices[0];
  const message = isObject(choice) && isObject(choice.message) ? choice.message : {};
  const content: MessageBlock[] = [];
  if (typeof message.content === 'string' && message.content !== '') content.push({ type: 'text', text: message.content });
  const refused = typeof message.refusal === 'string' && message.refusal !== '';
  if (refused) content.push({ type: 'text', text: message.refusal as string });
  const calls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  calls.forEach((c, i) => {
    if (!isObject(c) || !isObject(c.function)) return;
    const id = typeof c.id === 'string' && c.id !== '' ? c.id : `toolu_${i}`;
    content.push({ type: 'tool_use', id, name: String(c.function.name ?? ''), input: parseArguments(c.function.arguments) });
  });
  const hasTools = content.some((b) => b.type === 'tool_use');
  const finish = refused && !hasTools ? 'content_filter' : isObject(choice) ? choice.finish_reason : undefined;
  const stop = stopReason(finish, isObject(choice) ? matchedStop(choice) : undefined, ctx.stopSequences, hasTools);
  return {
    id: messageId(completion.id, ctx.requestId),
    type: 'message',
    role: 'assistant',
    model: ctx.model,
    content,
    ...stop,
    usage: messagesUsage(completion.usage),
  };
}

/**
 * OpenAI `finish_reason` → Anthropic `stop_reason`, with `stop_sequence` set when the provider said
 * which stop sequence matched (vLLM's `stop_reason`, SGLang's `matched_stop`). A `stop` with tool
 * calls is a tool use (some providers finish them so).
 *
 * @example
 * stopReason('length', undefined, [], false);          // { stop_reason: 'max_tokens', stop_sequence: null }
 * stopReason('stop', '###', ['###'], false);           // { stop_reason: 'stop_sequence', stop_sequence: '###' }
 * stopReason('tool_calls', undefined, [], true);       // { stop_reason: 'tool_use', stop_sequence: null }
 */
export function stopReason(finish: unknown, matched: unknown, stopSequences: readonly string[], hasToolCalls: boolean): { stop_reason: StopReason; stop_sequence: string | null } {
  const plain = (r: StopReason) => ({ stop_reason: r, stop_sequence: null });
  switch (finish) {
    case 'length':
      return plain('max_tokens');
    case 'tool_calls':
    case 'function_call':
      return plain('tool_use');
    case 'content_filter':
      return plain('refusal');
    default:
      if (hasToolCalls) return plain('tool_use');
      if (typeof matched === 'string' && stopSequences.includes(matched)) return { stop_reason: 'stop_sequence', stop_sequence: matched };
      return plain('end_turn');
  }
}

/**
 * The stop string a choice (or a stream chunk's choice) says it matched, where the provider says it.
 *
 * @example
 * matchedStop({ finish_reason: 'stop', stop_reason: '###' }); // '###'
 */
export function matchedStop(choice: JsonObject): unknown {
  return typeof choice.stop_reason === 'string' ? choice.stop_reason : choice.matched_stop;
}

/**
 * OpenAI usage → Anthropic's: cached (read) and cache-written tokens come out of `input_tokens`.
 *
 * @example
 * messagesUsage({ prompt_tokens: 18, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 6 } });
 * // { input_tokens: 12, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 6 }
 */
export function messagesUsage(usage: unknown): MessagesUsage {
  const u = isObject(usage) ? usage : {};
  const details = isObject(u.prompt_tokens_details) ? u.prompt_tokens_details : {};
  const read = tokenCount(details.cached_tokens);
  const written = tokenCount(details.cache_write_tokens);
  return {
    input_tokens: Math.max(0, tokenCount(u.prompt_tokens) - read - written),
    output_tokens: tokenCount(u.completion_tokens),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: read,
  };
}

/**
 * The message id: `msg_` and the completion's id (kept when it already is one), or the fallback.
 *
 * @example
 * messageId('chatcmpl-abc', 'req-1'); // 'msg_chatcmpl-abc'
 * messageId('msg_01XY', 'req-1');     // 'msg_01XY'
 * messageId(undefined, 'req-1');      // 'msg_req-1'
 */
export function messageId(id: unknown, fallback: string): string {
  const base = typeof id === 'string' && id !== '' ? id : fallback;
  return base.startsWith('msg_') ? base : `msg_${base}`;
}

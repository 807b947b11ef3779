/**
 * Anthropic Messages request → OpenAI chat request, the pivot every provider is reached through
 * (protocols.md 4.4). Pure: no I/O. The request is validated on the way (the fields the gateway needs,
 * and every block it translates); what cannot be represented is refused with a 400 naming the field
 * (`messages.2.content.0.source.type`), never silently lost. Earlier turns' thinking blocks are dropped:
 * no other provider can read them. `cache_control`, `thinking` and other Anthropic-only fields have no
 * OpenAI equivalent and are dropped; `top_k` goes on for the targets that have it.
 */
import { finiteNumber, isObject, type JsonObject } from '../../providers/translating/guards.js';
import { RequestMappingError, type RequestTranslation, tryMapRequest } from '../../providers/translating/request-mapping.js';
import { invalid, toolMessage, userParts } from './blocks.js';

/**
 * A Messages request as the core takes it, with what the answer's translation needs to know.
 *
 * @example
 * const r: MessagesRequest = { chat: { model: 'claude-x', max_tokens: 10, messages: [] }, model: 'claude-x', stream: false, stopSequences: [] };
 */
export interface MessagesRequest {
  /** The OpenAI chat completions body. */
  chat: JsonObject;
  /** The model the client asked for (the answer names it). */
  model: string;
  stream: boolean;
  /** The stop sequences asked for, to name the one a provider says it matched. */
  stopSequences: string[];
}

/**
 * Validates a parsed Messages request body and translates it to an OpenAI chat request.
 *
 * @example
 * const r = toChatRequest({ model: 'claude-x', max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] });
 * // r.ok && r.body.chat: { model: 'claude-x', max_tokens: 100, messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }] }
 * toChatRequest({ model: 'claude-x', messages: [] }); // { ok: false, message: 'max_tokens: Field required', param: 'max_tokens', ... }
 */
export function toChatRequest(body: unknown): RequestTranslation<MessagesRequest> {
  return tryMapRequest(() => mapRequest(body));
}

function mapRequest(body: unknown): MessagesRequest {
  if (!isObject(body)) throw new RequestMappingError('The request body must be a JSON object.', null, 'invalid_request');
  const model = required(body, 'model');
  if (typeof model !== 'string' || model === '') throw invalid('model', 'Input should be a non-empty string');
  const maxTokens = required(body, 'max_tokens');
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) throw invalid('max_tokens', 'Input should be an integer greater than or equal to 1');
  const messages = required(body, 'messages');
  if (!Array.isArray(messages)) throw invalid('messages', 'Input should be a valid list');
  if (messages.length === 0) throw invalid('messages', 'at least one message is required');
  if (body.stream !== undefined && typeof body.stream !== 'boolean') throw invalid('stream', 'Input should be a valid boolean');
  const stream = body.stream === true;

  const out: JsonObject[] = [];
  const system = systemText(body.system);
  if (system !== undefined) out.push({ role: 'system', content: system });
  for (const [i, m] of messages.entries()) turn(m, `messages.${i}`, out);

  const chat: JsonObject = { model, messages: out, max_tokens: maxTokens };
  const stopSequences = stops(body.stop_sequences);
  if (stopSequences.length > 0) chat.stop = stopSequences;
  // top_k rides along for the targets that have it (gemini's topK, ollama's top_k, OpenAI-compatible
  // servers such as vLLM); OpenAI's own API has none, and its adapter leaves it out.
  for (const k of ['temperature', 'top_p', 'top_k'] as const) {
    if (body[k] === undefined || body[k] === null) continue;
    const v = finiteNumber(body[k]);
    if (v === undefined) throw invalid(k, 'Input should be a valid number');
    chat[k] = v;
  }
  if (isObject(body.metadata) && typeof body.metadata.user_id === 'string' && body.metadata.user_id !== '') chat.user = body.metadata.user_id;
  mapTools(body, chat);
  if (stream) {
    chat.stream = true;
    chat.stream_options = { include_usage: true };
  }
  return { chat, model, stream, stopSequences };
}

function required(body: JsonObject, key: string): unknown {
  if (body[key] === undefined || body[key] === null) throw invalid(key, 'Field required');
  return body[key];
}

/** `system`: a string, or text blocks (joined with blank lines); undefined when there is none. */
function systemText(system: unknown): string | undefined {
  if (system === undefined || system === null) return undefined;
  if (typeof system === 'string') return system === '' ? undefined : system;
  if (!Array.isArray(system)) throw invalid('system', 'Input should be a string or a list of text blocks');
  const texts = system.map((b, j) => {
    if (!isObject(b) || b.type !== 'text' || typeof b.text !== 'string') throw invalid(`system.${j}`, 'Input should be a text block');
    return b.text;
  });
  const joined = texts.filter((t) => t !== '').join('\n\n');
  return joined === '' ? undefined : joined;
}

/** One turn as OpenAI messages: a user turn's tool results become `tool` messages ahead of the rest. */
function turn(m: unknown, at: string, out: JsonObject[]): void {
  if (!isObject(m)) throw invalid(at, 'Input should be an object');
  if (m.role !== 'user' && m.role !== 'assistant') throw invalid(`${at}.role`, "Input should be 'user' or 'assistant'");
  const content = m.content;
  if (typeof content === 'string') {
    out.push({ role: m.role, content });
    return;
  }
  if (!Array.isArray(content)) throw invalid(`${at}.content`, 'Input should be a string or a list of content blocks');
  content.forEach((b, j) => {
    if (!isObject(b) || typeof b.type !== 'string') throw invalid(`${at}.content.${j}`, 'Input should be a content block with a `type`');
  });
  const blocks = content as JsonObject[];
  if (m.role === 'assistant') return assistantTurn(blocks, at, out);

  const parts: JsonObject[] = [];
  const fromTools: JsonObject[] = [];
  blocks.forEach((b, j) => {
    if (b.type === 'tool_result') out.push(toolMessage(b, `${at}.content.${j}`, fromTools));
    else parts.push(...userParts(b, `${at}.content.${j}`));
  });
  const all = [...fromTools, ...parts];
  if (all.length > 0) out.push({ role: 'user', content: all.length === 1 && all[0]!.type === 'text' ? all[0]!.text : all });
}

function assistantTurn(blocks: JsonObject[], at: string, out: JsonObject[]): void {
  const texts: string[] = [];
  const calls: JsonObject[] = [];
  blocks.forEach((b, j) => {
    const where = `${at}.content.${j}`;
    if (b.type === 'text') {
      if (typeof b.text !== 'string') throw invalid(`${where}.text`, 'Field required');
      if (b.text !== '') texts.push(b.text);
    } else if (b.type === 'tool_use') {
      if (typeof b.id !== 'string' || b.id === '') throw invalid(`${where}.id`, 'Field required');
      if (typeof b.name !== 'string' || b.name === '') throw invalid(`${where}.name`, 'Field required');
      if (!isObject(b.input)) throw invalid(`${where}.input`, 'Input should be an object');
      calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input) } });
    } else if (b.type !== 'thinking' && b.type !== 'redacted_thinking') {
      throw new RequestMappingError(`${where}: assistant content blocks of type "${b.type}" cannot be sent through a translated provider.`, where);
    }
  });
  if (texts.length === 0 && calls.length === 0) return; // thinking only: nothing any other provider can read
  out.push({ role: 'assistant', content: texts.length > 0 ? texts.join('\n\n') : null, ...(calls.length > 0 ? { tool_calls: calls } : {}) });
}

function stops(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string')) throw invalid('stop_sequences', 'Input should be a list of strings');
  return (value as string[]).filter((s) => s !== '');
}

/** `tools` (custom tools: input_schema → parameters) and `tool_choice` (any → required, tool → a named function). */
function mapTools(body: JsonObject, chat: JsonObject): void {
  if (body.tools === undefined || body.tools === null) return;
  if (!Array.isArray(body.tools)) throw invalid('tools', 'Input should be a valid list');
  const tools = body.tools.map((t, i) => {
    const at = `tools.${i}`;
    if (!isObject(t)) throw invalid(at, 'Input should be an object');
    if (t.type !== undefined && t.type !== null && t.type !== 'custom') {
      throw new RequestMappingError(`${at}: server tools (type "${String(t.type).slice(0, 64)}") need an Anthropic provider; they cannot be served through a translated one.`, `${at}.type`);
    }
    if (typeof t.name !== 'string' || t.name === '') throw invalid(`${at}.name`, 'Field required');
    if (!isObject(t.input_schema)) throw invalid(`${at}.input_schema`, 'Field required');
    const fn: JsonObject = { name: t.name, parameters: t.input_schema };
    if (typeof t.description === 'string' && t.description !== '') fn.description = t.description;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    return { type: 'function', function: fn };
  });
  if (tools.length === 0) return;
  chat.tools = tools;
  const tc = body.tool_choice;
  if (tc === undefined || tc === null) return;
  if (!isObject(tc)) throw invalid('tool_choice', 'Input should be an object');
  if (tc.type === 'auto') chat.tool_choice = 'auto';
  else if (tc.type === 'any') chat.tool_choice = 'required';
  else if (tc.type === 'none') chat.tool_choice = 'none';
  else if (tc.type === 'tool') {
    if (typeof tc.name !== 'string' || tc.name === '') throw invalid('tool_choice.name', 'Field required');
    chat.tool_choice = { type: 'function', function: { name: tc.name } };
  } else throw invalid('tool_choice.type', "Input should be 'auto', 'any', 'tool' or 'none'");
  if (tc.disable_parallel_tool_use === true && tc.type !== 'none') chat.parallel_tool_calls = false;
}

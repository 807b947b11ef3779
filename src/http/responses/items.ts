/**
 * Responses conversation items, both ways of the pivot: the caller's `input` (a string or items) read
 * into normalised items (ids given, content as parts), and items (an earlier response's input and
 * output, then this one's input) turned into chat messages. Pure.
 */
import { isObject } from '../../providers/translating/guards.js';
import type { ContentPart, FunctionCallItem, IdMaker, InputImage, Item, JsonObject, MessageItem } from './wire.js';

/** A value read from the caller's body, or why it cannot be (with the field it names). */
export type Read<T> = { ok: true; value: T } | Problem;

/** Why a body cannot be served, and the field it names (null: the body as a whole). */
export interface Problem {
  ok: false;
  message: string;
  param: string | null;
}

/**
 * A refusal naming a field.
 *
 * @example
 * bad('model', 'is required'); // { ok: false, message: 'Invalid request: model: is required', param: 'model' }
 */
export const bad = (param: string, message: string): Problem => ({ ok: false, message: `Invalid request: ${param}: ${message}`, param });

const ROLES = new Set(['user', 'system', 'developer', 'assistant']);
const DETAILS = new Set(['low', 'high', 'auto', 'original']);

/**
 * The caller's `input` as items: a string is one user message; items keep their ids (fresh ones are
 * minted), message content becomes parts, reasoning items are dropped (chat has no place for them).
 *
 * @example
 * readInput('Hello', newId);
 * // { ok: true, value: [{ id: 'msg_…', type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Hello' }], status: 'completed' }] }
 */
export function readInput(input: unknown, ids: IdMaker): Read<Item[]> {
  if (typeof input === 'string') return { ok: true, value: [message(ids('msg'), 'user', [{ type: 'input_text', text: input }])] };
  if (!Array.isArray(input)) return bad('input', 'must be a string or an array of input items');
  const items: Item[] = [];
  for (const [i, raw] of input.entries()) {
    const at = `input[${i}]`;
    if (!isObject(raw)) return bad(at, 'must be an object');
    const type = raw.type ?? (raw.role !== undefined ? 'message' : undefined);
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : undefined;
    if (type === 'reasoning') continue;
    if (type === 'message') {
      const m = readMessage(raw, at, id ?? ids('msg'));
      if (!m.ok) return m;
      items.push(m.value);
    } else if (type === 'function_call') {
      for (const f of ['call_id', 'name', 'arguments'] as const) if (typeof raw[f] !== 'string') return bad(`${at}.${f}`, 'is required and must be a string');
      items.push({ id: id ?? ids('fc'), type: 'function_call', call_id: raw.call_id as string, name: raw.name as string, arguments: raw.arguments as string, status: 'completed' });
    } else if (type === 'function_call_output') {
      if (typeof raw.call_id !== 'string') return bad(`${at}.call_id`, 'is required and must be a string');
      const output = typeof raw.output === 'string' ? { ok: true as const, value: raw.output } : readParts(raw.output, `${at}.output`, true);
      if (!output.ok) return output;
      items.push({ id: id ?? ids('fco'), type: 'function_call_output', call_id: raw.call_id, output: output.value, status: 'completed' });
    } else {
      return bad(`${at}.type`, `items of type ${JSON.stringify(type ?? null)} cannot be served here (supported: message, function_call, function_call_output, reasoning)`);
    }
  }
  return { ok: true, value: items };
}

function readMessage(raw: JsonObject, at: string, id: string): Read<MessageItem> {
  const role = raw.role;
  if (typeof role !== 'string' || !ROLES.has(role)) return bad(`${at}.role`, 'must be one of user, system, developer, assistant');
  const r = role as MessageItem['role'];
  const textOnly = r !== 'user';
  if (typeof raw.content === 'string') return { ok: true, value: message(id, r, [r === 'assistant' ? outputText(raw.content) : { type: 'input_text', text: raw.content }]) };
  const parts = readParts(raw.content, `${at}.content`, textOnly);
  return parts.ok ? { ok: true, value: message(id, r, parts.value) } : parts;
}

function readParts(content: unknown, at: string, textOnly: boolean): Read<ContentPart[]> {
  if (!Array.isArray(content)) return bad(at, 'must be a string or an array of content parts');
  const parts: ContentPart[] = [];
  for (const [j, p] of content.entries()) {
    const where = `${at}[${j}]`;
    if (!isObject(p)) return bad(where, 'must be an object');
    if (p.type === 'input_text' || p.type === 'output_text') {
      if (typeof p.text !== 'string') return bad(`${where}.text`, 'is required and must be a string');
      parts.push(p.type === 'input_text' ? { type: 'input_text', text: p.text } : outputText(p.text));
    } else if (p.type === 'refusal' && typeof p.refusal === 'string') {
      parts.push({ type: 'refusal', refusal: p.refusal });
    } else if (textOnly) {
      return bad(`${where}.type`, 'only text parts are allowed here');
    } else if (p.type === 'input_image') {
      if (typeof p.image_url !== 'string') return bad(`${where}.image_url`, 'is required (file_id images cannot be sent through chat completions)');
      const detail = typeof p.detail === 'string' && DETAILS.has(p.detail) ? (p.detail as InputImage['detail']) : 'auto';
      parts.push({ type: 'input_image', image_url: p.image_url, detail });
    } else if (p.type === 'input_file') {
      if (typeof p.file_id !== 'string' && typeof p.file_data !== 'string') return bad(where, 'an input_file needs file_id or file_data (file_url is not supported)');
      parts.push({
        type: 'input_file',
        ...(typeof p.file_id === 'string' ? { file_id: p.file_id } : {}),
        ...(typeof p.file_data === 'string' ? { file_data: p.file_data } : {}),
        ...(typeof p.filename === 'string' ? { filename: p.filename } : {}),
      });
    } else return bad(`${where}.type`, `content parts of type ${JSON.stringify(p.type ?? null)} are not supported`);
  }
  return { ok: true, value: parts };
}

/**
 * Items as chat messages: messages keep their role; function calls become the tool_calls of an
 * assistant message (joined to the assistant message just before them); function call outputs
 * become tool messages.
 *
 * @example
 * toChatMessages([{ id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}', status: 'completed' }]);
 * // [{ role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' } }] }]
 */
export function toChatMessages(items: readonly Item[]): JsonObject[] {
  const out: JsonObject[] = [];
  for (const item of items) {
    if (item.type === 'function_call') {
      const call = { id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } };
      const last = out[out.length - 1];
      if (last?.role === 'assistant') last.tool_calls = [...((last.tool_calls as unknown[] | undefined) ?? []), call];
      else out.push({ role: 'assistant', content: null, tool_calls: [call] });
    } else if (item.type === 'function_call_output') {
      out.push({ role: 'tool', tool_call_id: item.call_id, content: typeof item.output === 'string' ? item.output : chatContent(item.output) });
    } else out.push(chatMessage(item));
  }
  return out;
}

function chatMessage(m: MessageItem): JsonObject {
  if (m.role !== 'assistant') return { role: m.role, content: chatContent(m.content) };
  const refusal = m.content.flatMap((p) => (p.type === 'refusal' ? [p.refusal] : []));
  const text = m.content.filter((p) => p.type !== 'refusal');
  return { role: 'assistant', content: text.length === 0 ? null : chatContent(text), ...(refusal.length > 0 ? { refusal: refusal.join('\n') } : {}) };
}

/** Parts as chat content: one text part as a string, anything else as chat parts. */
function chatContent(parts: readonly ContentPart[]): string | JsonObject[] {
  const only = parts.length === 1 ? parts[0] : undefined;
  if (only && (only.type === 'input_text' || only.type === 'output_text')) return only.text;
  return parts.map(chatPart);
}

function chatPart(p: ContentPart): JsonObject {
  switch (p.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: p.text };
    case 'refusal':
      return { type: 'text', text: p.refusal };
    case 'input_image':
      return { type: 'image_url', image_url: { url: p.image_url, ...(p.detail !== 'original' ? { detail: p.detail } : {}) } };
    case 'input_file': {
      const { type: _type, ...file } = p;
      return { type: 'file', file };
    }
  }
}

/**
 * A message item (status completed).
 *
 * @example
 * message('msg_1', 'user', [{ type: 'input_text', text: 'Hi' }]);
 */
export function message(id: string, role: MessageItem['role'], content: ContentPart[]): MessageItem {
  return { id, type: 'message', role, content, status: 'completed' };
}

/**
 * An output_text part, without annotations.
 *
 * @example
 * outputText('Hello'); // { type: 'output_text', text: 'Hello', annotations: [] }
 */
export const outputText = (text: string): ContentPart => ({ type: 'output_text', text, annotations: [] });

/**
 * A function call item as this door outputs it.
 *
 * @example
 * functionCall('fc_1', 'call_1', 'get_weather', '{"city":"Paris"}');
 */
export function functionCall(id: string, callId: string, name: string, args: string, status: FunctionCallItem['status'] = 'completed'): FunctionCallItem {
  return { id, type: 'function_call', call_id: callId, name, arguments: args, status };
}

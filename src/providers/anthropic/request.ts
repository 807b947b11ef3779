/**
 * OpenAI chat request → Anthropic Messages request (protocols.md 4.1). Pure: no I/O.
 * Fields without an Anthropic equivalent are dropped; content that cannot be represented (audio,
 * unsupported image types, file ids) and `n > 1` are refused with a 400 rather than silently lost.
 */
import { finiteNumber, isObject, type JsonObject, parseJson } from '../translating/guards.js';
import { RequestMappingError, type RequestTranslation, tryMapRequest } from '../translating/request-mapping.js';

export const DEFAULT_MAX_TOKENS = 4096;

export type AnthropicSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string };
export type TextBlock = { type: 'text'; text: string };
export type ToolResultBlock = { type: 'tool_result'; tool_use_id: string; content?: string | TextBlock[] };
export type AnthropicBlock =
  | TextBlock
  | { type: 'image'; source: AnthropicSource }
  | { type: 'document'; source: AnthropicSource }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | ToolResultBlock;

export interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: AnthropicBlock[];
}

export interface AnthropicTool {
  name: string;
  description?: string;
  input_schema: Record<string, unknown>;
}

export type AnthropicToolChoice = { type: 'auto' | 'any'; disable_parallel_tool_use?: boolean } | { type: 'tool'; name: string; disable_parallel_tool_use?: boolean } | { type: 'none' };

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessage[];
  system?: string;
  stop_sequences?: string[];
  temperature?: number;
  top_p?: number;
  metadata?: { user_id: string };
  tools?: AnthropicTool[];
  tool_choice?: AnthropicToolChoice;
  stream?: boolean;
}

const IMAGE_TYPES = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp']);

/** The OpenAI chat body as a Messages request, or why it cannot be one. */
export function toAnthropicRequest(body: JsonObject, stream: boolean): RequestTranslation<AnthropicRequest> {
  return tryMapRequest(() => mapRequest(body, stream));
}

function mapRequest(body: JsonObject, stream: boolean): AnthropicRequest {
  if (typeof body.n === 'number' && body.n > 1) throw new RequestMappingError('This provider returns one choice per request: `n` must be 1.', 'n');
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const system: string[] = [];
  const turns: AnthropicMessage[] = [];
  const legacyIds = new Map<string, string>();
  messages.forEach((m, i) => {
    if (!isObject(m)) return;
    const at = `messages[${i}]`;
    if (m.role === 'system' || m.role === 'developer') {
      const text = textOf(m.content, at);
      if (text) system.push(text);
    } else if (m.role === 'user') {
      push(turns, 'user', contentBlocks(m.content, at));
    } else if (m.role === 'assistant') {
      push(turns, 'assistant', assistantBlocks(m, at, legacyIds, i));
    } else if (m.role === 'tool') {
      push(turns, 'user', [toolResult(String(m.tool_call_id ?? ''), m.content, at)]);
    } else if (m.role === 'function') {
      const name = typeof m.name === 'string' ? m.name : '';
      push(turns, 'user', [toolResult(legacyIds.get(name) ?? `call_fn_${name}`, m.content, at)]);
    }
  });
  for (const t of turns) if (t.role === 'user') t.content = toolResultsFirst(t.content);
  if (turns[0]?.role === 'assistant') turns.unshift({ role: 'user', content: [{ type: 'text', text: '.' }] });

  const max = finiteNumber(body.max_completion_tokens) ?? finiteNumber(body.max_tokens) ?? DEFAULT_MAX_TOKENS;
  const out: AnthropicRequest = { model: String(body.model ?? ''), max_tokens: max, messages: turns };
  if (system.length > 0) out.system = system.join('\n\n');
  const stop = typeof body.stop === 'string' ? [body.stop] : Array.isArray(body.stop) ? body.stop.filter((s): s is string => typeof s === 'string' && s !== '') : [];
  if (stop.length > 0) out.stop_sequences = stop;
  const temperature = finiteNumber(body.temperature);
  if (temperature !== undefined) out.temperature = Math.min(1, Math.max(0, temperature));
  const topP = finiteNumber(body.top_p);
  if (topP !== undefined) out.top_p = topP;
  const user = typeof body.user === 'string' && body.user ? body.user : typeof body.safety_identifier === 'string' && body.safety_identifier ? body.safety_identifier : undefined;
  if (user) out.metadata = { user_id: user };
  mapTools(body, out);
  if (stream) out.stream = true;
  return out;
}

/** Appends blocks as a turn, merged into the previous one when it has the same role (Anthropic alternates). */
function push(turns: AnthropicMessage[], role: 'user' | 'assistant', blocks: AnthropicBlock[]): void {
  if (blocks.length === 0) return;
  const last = turns[turns.length - 1];
  if (last && last.role === role) last.content.push(...blocks);
  else turns.push({ role, content: blocks });
}

/** tool_result blocks must lead the user turn that follows the tool_use turn. */
function toolResultsFirst(blocks: AnthropicBlock[]): AnthropicBlock[] {
  return [...blocks.filter((b) => b.type === 'tool_result'), ...blocks.filter((b) => b.type !== 'tool_result')];
}

/** The text of a system / developer / tool content (a string or text parts). */
function textOf(content: unknown, at: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p, j) => {
      if (isObject(p) && p.type === 'text' && typeof p.text === 'string') return p.text;
      throw new RequestMappingError(`${at}.content[${j}]: only text parts are supported here.`, `${at}.content`);
    })
    .filter((t) => t !== '')
    .join('\n\n');
}

function contentBlocks(content: unknown, at: string): AnthropicBlock[] {
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }];
  if (!Array.isArray(content)) return [];
  const out: AnthropicBlock[] = [];
  content.forEach((p, j) => {
    const where = `${at}.content[${j}]`;
    if (!isObject(p)) return;
    if (p.type === 'text' && typeof p.text === 'string') {
      if (p.text !== '') out.push({ type: 'text', text: p.text });
    } else if (p.type === 'refusal' && typeof p.refusal === 'string') {
      if (p.refusal !== '') out.push({ type: 'text', text: p.refusal });
    } else if (p.type === 'image_url') {
      const url = isObject(p.image_url) ? p.image_url.url : undefined;
      out.push(imageBlock(typeof url === 'string' ? url : '', where));
    } else if (p.type === 'file') {
      out.push(fileBlock(isObject(p.file) ? p.file : {}, where));
    } else {
      throw new RequestMappingError(`${where}: content parts of type "${String(p.type)}" are not supported by this provider.`, where);
    }
  });
  return out;
}

function imageBlock(url: string, where: string): AnthropicBlock {
  const data = parseDataUrl(url);
  if (data) {
    if (data.mediaType === 'application/pdf') return { type: 'document', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
    if (!IMAGE_TYPES.has(data.mediaType)) {
      throw new RequestMappingError(`${where}: images must be JPEG, PNG, GIF or WebP (got ${data.mediaType.slice(0, 40)}).`, where, 'invalid_image_format');
    }
    return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  }
  if (/^https?:\/\//i.test(url)) return { type: 'image', source: { type: 'url', url } };
  throw new RequestMappingError(`${where}: image_url.url must be an http(s) URL or a base64 data URL.`, where, 'invalid_image_url');
}

function fileBlock(file: JsonObject, where: string): AnthropicBlock {
  const raw = typeof file.file_data === 'string' ? file.file_data : undefined;
  if (!raw) throw new RequestMappingError(`${where}: only files sent inline as file_data are supported by this provider.`, where);
  const data = parseDataUrl(raw);
  if (data && data.mediaType !== 'application/pdf' && IMAGE_TYPES.has(data.mediaType)) {
    return { type: 'image', source: { type: 'base64', media_type: data.mediaType, data: data.data } };
  }
  if (data && data.mediaType !== 'application/pdf') throw new RequestMappingError(`${where}: only PDF files are supported by this provider.`, where);
  return { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: data ? data.data : raw } };
}

function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const m = /^data:([^;,]+)(?:;[^;,]*)*;base64,/i.exec(url);
  if (!m?.[1]) return undefined;
  return { mediaType: m[1].toLowerCase(), data: url.slice(m[0].length) };
}

function assistantBlocks(m: JsonObject, at: string, legacyIds: Map<string, string>, i: number): AnthropicBlock[] {
  const out = contentBlocks(m.content, at);
  const calls = Array.isArray(m.tool_calls) ? m.tool_calls : [];
  calls.forEach((c, j) => {
    if (!isObject(c) || !isObject(c.function)) return; // custom tools have no equivalent
    const fn = c.function;
    out.push({ type: 'tool_use', id: String(c.id ?? `call_${i}_${j}`), name: String(fn.name ?? ''), input: parseArguments(fn.arguments) });
  });
  if (isObject(m.function_call)) {
    const name = String(m.function_call.name ?? '');
    const id = `call_fn_${i}`;
    legacyIds.set(name, id);
    out.push({ type: 'tool_use', id, name, input: parseArguments(m.function_call.arguments) });
  }
  return out;
}

/** Tool arguments are JSON text that may be malformed; Anthropic wants an object, so bad text is wrapped. */
export function parseArguments(args: unknown): JsonObject {
  if (typeof args !== 'string' || args.trim() === '') return {};
  const parsed = parseJson(args);
  return isObject(parsed) ? parsed : { _raw: args };
}

function toolResult(id: string, content: unknown, at: string): AnthropicBlock {
  const block: ToolResultBlock = { type: 'tool_result', tool_use_id: id };
  if (typeof content === 'string') {
    if (content !== '') block.content = content;
  } else if (Array.isArray(content)) {
    const parts = contentBlocks(content, at).filter((b): b is TextBlock => b.type === 'text');
    if (parts.length > 0) block.content = parts;
  }
  return block;
}

function mapTools(body: JsonObject, out: AnthropicRequest): void {
  const defs: JsonObject[] = [];
  if (Array.isArray(body.tools)) for (const t of body.tools) if (isObject(t) && t.type === 'function' && isObject(t.function)) defs.push(t.function);
  if (Array.isArray(body.functions)) for (const f of body.functions) if (isObject(f)) defs.push(f);
  let tools = defs.filter((f) => typeof f.name === 'string').map(toTool);
  let choice: AnthropicToolChoice | undefined;
  const tc = body.tool_choice ?? legacyChoice(body.function_call);
  if (tc === 'auto') choice = { type: 'auto' };
  else if (tc === 'required') choice = { type: 'any' };
  else if (tc === 'none') choice = { type: 'none' };
  else if (isObject(tc) && tc.type === 'function' && isObject(tc.function) && typeof tc.function.name === 'string') {
    choice = { type: 'tool', name: tc.function.name };
  } else if (isObject(tc) && tc.type === 'allowed_tools' && isObject(tc.allowed_tools)) {
    const allowed = new Set((Array.isArray(tc.allowed_tools.tools) ? tc.allowed_tools.tools : []).map((t) => (isObject(t) && isObject(t.function) ? t.function.name : undefined)));
    tools = tools.filter((t) => allowed.has(t.name));
    choice = { type: tc.allowed_tools.mode === 'required' ? 'any' : 'auto' };
  }
  if (tools.length === 0) return;
  out.tools = tools;
  if (body.parallel_tool_calls === false && choice?.type !== 'none') choice = { ...(choice ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (choice) out.tool_choice = choice;
}

function legacyChoice(fc: unknown): unknown {
  if (fc === 'auto' || fc === 'none') return fc;
  if (isObject(fc) && typeof fc.name === 'string') return { type: 'function', function: { name: fc.name } };
  return undefined;
}

function toTool(f: JsonObject): AnthropicTool {
  const params = isObject(f.parameters) ? f.parameters : { properties: {} };
  const tool: AnthropicTool = { name: String(f.name), input_schema: { ...params, type: 'object' } };
  if (typeof f.description === 'string' && f.description) tool.description = f.description;
  return tool;
}

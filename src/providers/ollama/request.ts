/**
 * OpenAI chat request → Ollama native `POST /api/chat` body. Pure: no I/O, no randomness.
 *
 * Fields without an Ollama equivalent (n, logprobs, logit_bias, user, parallel_tool_calls, metadata,
 * store, service_tier, reasoning_effort, ...) are dropped. Ollama-native extras a client may send on
 * purpose (`options`, `keep_alive`, `think`) are passed along. What Ollama cannot be given (image URLs,
 * arguments that are not a JSON object, unknown roles) throws a RequestMappingError.
 */
import { finiteNumber, isObject, type JsonObject, parseJson } from '../translating/guards.js';
import { RequestMappingError } from '../translating/request-mapping.js';

export interface OllamaToolCall {
  id?: string;
  function: { name: string; arguments: Record<string, unknown> };
}

export interface OllamaMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  images?: string[];
  tool_calls?: OllamaToolCall[];
  tool_name?: string;
  tool_call_id?: string;
}

export interface OllamaTool {
  type: 'function';
  function: { name: string; description?: string; parameters?: unknown };
}

export interface OllamaChatRequest {
  model: string;
  messages: OllamaMessage[];
  stream: boolean;
  tools?: OllamaTool[];
  format?: 'json' | Record<string, unknown>;
  options?: Record<string, unknown>;
  keep_alive?: string | number;
  think?: boolean | string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function toOllamaRequest(body: JsonObject, stream: boolean): OllamaChatRequest {
  const out: OllamaChatRequest = {
    model: str(body.model) ?? '',
    messages: mapMessages(Array.isArray(body.messages) ? body.messages : []),
    stream,
  };
  const tools = mapTools(body.tools, body.tool_choice);
  if (tools.length > 0) out.tools = tools;
  const format = mapFormat(body.response_format);
  if (format !== undefined) out.format = format;
  const options = mapOptions(body);
  if (Object.keys(options).length > 0) out.options = options;
  if (typeof body.keep_alive === 'string' || typeof body.keep_alive === 'number') out.keep_alive = body.keep_alive;
  if (typeof body.think === 'boolean' || typeof body.think === 'string') out.think = body.think;
  return out;
}

function mapMessages(messages: unknown[]): OllamaMessage[] {
  /** Tool-call id → function name, from the assistant turns seen so far (Ollama wants `tool_name`). */
  const names = new Map<string, string>();
  const out: OllamaMessage[] = [];
  messages.forEach((m, i) => {
    if (!isObject(m)) return;
    switch (m.role) {
      case 'system':
      case 'developer':
        out.push({ role: 'system', content: textOf(m.content) });
        return;
      case 'user':
        out.push(userMessage(m, i));
        return;
      case 'assistant':
        out.push(assistantMessage(m, i, names));
        return;
      case 'tool': {
        const id = str(m.tool_call_id);
        const name = id !== undefined ? names.get(id) : undefined;
        out.push({ role: 'tool', content: textOf(m.content), ...(name ? { tool_name: name } : {}), ...(id ? { tool_call_id: id } : {}) });
        return;
      }
      case 'function': {
        const name = str(m.name);
        out.push({ role: 'tool', content: textOf(m.content), ...(name ? { tool_name: name } : {}) });
        return;
      }
      default:
        throw new RequestMappingError(`messages[${i}] has a role Ollama does not support`, `messages[${i}].role`, 'unsupported_role');
    }
  });
  return out;
}

/** Text of a string or parts array: text and refusal parts joined; other parts have no text. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  const texts: string[] = [];
  for (const p of content) {
    if (!isObject(p)) continue;
    if (p.type === 'text' && typeof p.text === 'string') texts.push(p.text);
    else if (p.type === 'refusal' && typeof p.refusal === 'string') texts.push(p.refusal);
  }
  return texts.join('\n');
}

function userMessage(m: JsonObject, i: number): OllamaMessage {
  const msg: OllamaMessage = { role: 'user', content: textOf(m.content) };
  if (!Array.isArray(m.content)) return msg;
  const images: string[] = [];
  m.content.forEach((p, j) => {
    if (!isObject(p) || p.type !== 'image_url') return;
    const url = isObject(p.image_url) ? str(p.image_url.url) : str(p.image_url);
    images.push(imageBase64(url ?? '', `messages[${i}].content[${j}].image_url.url`));
  });
  // input_audio and file parts have no Ollama equivalent and are dropped.
  if (images.length > 0) msg.images = images;
  return msg;
}

/** `data:<mime>;base64,<b64>` → `<b64>`; anything else is refused (Ollama cannot fetch URLs). */
export function imageBase64(url: string, param: string): string {
  const comma = url.indexOf(',');
  if (url.startsWith('data:') && comma > 0) {
    const header = url.slice(5, comma);
    if (/;base64$/i.test(header)) return url.slice(comma + 1);
    throw new RequestMappingError('Image data URLs must be base64-encoded for Ollama.', param, 'invalid_image_url');
  }
  throw new RequestMappingError('Ollama does not fetch image URLs: send the image as a base64 data URL (data:image/...;base64,...).', param, 'image_url_not_supported');
}

function assistantMessage(m: JsonObject, i: number, names: Map<string, string>): OllamaMessage {
  const msg: OllamaMessage = { role: 'assistant', content: textOf(m.content) };
  const calls: OllamaToolCall[] = [];
  if (Array.isArray(m.tool_calls)) {
    m.tool_calls.forEach((c, j) => {
      if (!isObject(c) || !isObject(c.function)) return;
      const name = str(c.function.name) ?? '';
      const id = str(c.id);
      if (id) names.set(id, name);
      calls.push({ ...(id ? { id } : {}), function: { name, arguments: parseArguments(c.function.arguments, `messages[${i}].tool_calls[${j}].function.arguments`) } });
    });
  } else if (isObject(m.function_call)) {
    const name = str(m.function_call.name) ?? '';
    calls.push({ function: { name, arguments: parseArguments(m.function_call.arguments, `messages[${i}].function_call.arguments`) } });
  }
  if (calls.length > 0) msg.tool_calls = calls;
  return msg;
}

/** OpenAI's arguments are JSON text; Ollama wants the object. Empty means no arguments. */
export function parseArguments(args: unknown, param: string): Record<string, unknown> {
  if (isObject(args)) return args;
  if (args === undefined || args === null || (typeof args === 'string' && args.trim() === '')) return {};
  const parsed = typeof args === 'string' ? parseJson(args) : undefined;
  if (isObject(parsed)) return parsed;
  throw new RequestMappingError('Tool call arguments must be a JSON object for Ollama.', param, 'invalid_tool_arguments');
}

/**
 * Function tools in OpenAI's shape (`strict` dropped). Ollama has no tool_choice: `none` sends no
 * tools; a forced function or an allowed_tools list narrows the tools to those names (the model is
 * then still free not to call them); `auto` and `required` send them all.
 */
function mapTools(tools: unknown, choice: unknown): OllamaTool[] {
  if (!Array.isArray(tools) || choice === 'none') return [];
  let out: OllamaTool[] = [];
  for (const t of tools) {
    if (!isObject(t) || t.type !== 'function' || !isObject(t.function)) continue;
    const name = str(t.function.name);
    if (!name) continue;
    const description = str(t.function.description);
    const fn: OllamaTool['function'] = { name };
    if (description !== undefined) fn.description = description;
    if (t.function.parameters !== undefined) fn.parameters = t.function.parameters;
    out.push({ type: 'function', function: fn });
  }
  const only = allowedNames(choice);
  if (only) out = out.filter((t) => only.has(t.function.name));
  return out;
}

function allowedNames(choice: unknown): Set<string> | undefined {
  if (!isObject(choice)) return undefined;
  if (choice.type === 'function' && isObject(choice.function)) {
    const name = str(choice.function.name);
    return name ? new Set([name]) : undefined;
  }
  if (choice.type === 'allowed_tools' && isObject(choice.allowed_tools) && Array.isArray(choice.allowed_tools.tools)) {
    const names = new Set<string>();
    for (const t of choice.allowed_tools.tools) {
      if (isObject(t) && isObject(t.function) && typeof t.function.name === 'string') names.add(t.function.name);
    }
    return names;
  }
  return undefined;
}

function mapFormat(rf: unknown): OllamaChatRequest['format'] | undefined {
  if (!isObject(rf)) return undefined;
  if (rf.type === 'json_object') return 'json';
  if (rf.type === 'json_schema') {
    const schema = isObject(rf.json_schema) ? rf.json_schema.schema : undefined;
    return isObject(schema) ? schema : 'json';
  }
  return undefined;
}

function mapOptions(body: JsonObject): Record<string, unknown> {
  // Ollama-native options sent on purpose (num_ctx, top_k, ...) first; mapped OpenAI fields win.
  const options: Record<string, unknown> = isObject(body.options) ? { ...body.options } : {};
  for (const key of ['temperature', 'top_p', 'top_k', 'seed', 'presence_penalty', 'frequency_penalty'] as const) {
    const v = finiteNumber(body[key]);
    if (v !== undefined) options[key] = v;
  }
  const max = finiteNumber(body.max_completion_tokens) ?? finiteNumber(body.max_tokens);
  if (max !== undefined) options.num_predict = max;
  if (typeof body.stop === 'string') options.stop = [body.stop];
  else if (Array.isArray(body.stop)) {
    const stops = body.stop.filter((s): s is string => typeof s === 'string');
    if (stops.length > 0) options.stop = stops;
  }
  return options;
}

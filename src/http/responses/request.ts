/**
 * A Responses request (`POST /v1/responses`) read and checked, and turned into the pivot: a chat
 * completions request. Pure. Only what chat can carry is accepted; what it cannot (built-in tools,
 * background responses, conversations, prompt templates) is refused with 400 naming the field, never
 * silently dropped.
 */
import { finiteNumber, isObject } from '../../providers/translating/guards.js';
import { bad, type Read, readInput, toChatMessages } from './items.js';
import type { IdMaker, Item, JsonObject, ResponseObject } from './wire.js';

/** The fields a Response echoes from its request. */
export type Echo = Pick<
  ResponseObject,
  'instructions' | 'max_output_tokens' | 'metadata' | 'parallel_tool_calls' | 'previous_response_id' | 'reasoning' | 'store' | 'temperature' | 'text' | 'tool_choice' | 'tools' | 'top_p' | 'user'
>;

/** A checked Responses request. */
export interface ResponsesRequest {
  model: string;
  stream: boolean;
  /** Keep the response (default true) for `previous_response_id`, retrieve, delete and input_items. */
  store: boolean;
  previousResponseId: string | undefined;
  /** This request's own input, as items with ids. */
  input: Item[];
  /** The chat fields besides `model`, `messages` and streaming: sampling, tools, format, ... */
  chat: JsonObject;
  echo: Echo;
}

const MAX_MODEL = 256;
const TOOL_CHOICES = new Set(['none', 'auto', 'required']);
/** Fields chat completions has under the same name and meaning. */
const SAME = ['temperature', 'top_p', 'user', 'parallel_tool_calls', 'safety_identifier', 'prompt_cache_key', 'service_tier'] as const;
/** Fields that ask for what chat completions cannot do. */
const UNSUPPORTED: Record<string, string> = {
  conversation: 'conversations are not supported here: chain responses with previous_response_id',
  prompt: 'prompt templates are not supported here',
};

/**
 * Reads a Responses request body. Refuses, naming the field, what it cannot serve.
 *
 * @example
 * const r = readResponsesRequest({ model: 'gpt-4o', input: 'Hi', instructions: 'Be brief.' }, newId);
 * if (r.ok) chatRequest(r.value, []); // { model: 'gpt-4o', messages: [system, user] }
 */
export function readResponsesRequest(body: unknown, ids: IdMaker): Read<ResponsesRequest> {
  if (!isObject(body)) return { ok: false, message: 'The request body must be a JSON object.', param: null };
  const model = body.model;
  if (typeof model !== 'string' || model === '' || model.length > MAX_MODEL) return bad('model', `is required: a string of 1 to ${MAX_MODEL} characters`);
  const previous = body.previous_response_id;
  if (previous !== undefined && previous !== null && (typeof previous !== 'string' || previous === '')) return bad('previous_response_id', 'must be a response id');
  if ((body.input === undefined || body.input === null) && typeof previous !== 'string') return bad('input', 'is required (or previous_response_id)');
  const input = body.input === undefined || body.input === null ? { ok: true as const, value: [] } : readInput(body.input, ids);
  if (!input.ok) return input;
  for (const [field, why] of Object.entries(UNSUPPORTED)) if (body[field] !== undefined && body[field] !== null) return bad(field, why);
  if (body.background === true) return bad('background', 'background responses are not supported here');
  for (const f of ['stream', 'store', 'parallel_tool_calls'] as const) if (body[f] !== undefined && body[f] !== null && typeof body[f] !== 'boolean') return bad(f, 'must be a boolean');
  if (body.instructions !== undefined && body.instructions !== null && typeof body.instructions !== 'string') return bad('instructions', 'must be a string');
  const maxOut = body.max_output_tokens;
  if (maxOut !== undefined && maxOut !== null && !Number.isInteger(maxOut)) return bad('max_output_tokens', 'must be an integer');
  if (body.metadata !== undefined && body.metadata !== null && !isStringMap(body.metadata)) return bad('metadata', 'must be an object of string values');

  const chat: JsonObject = {};
  for (const f of SAME) if (body[f] !== undefined && body[f] !== null) chat[f] = body[f];
  if (typeof maxOut === 'number') chat.max_completion_tokens = maxOut;
  const reasoning = isObject(body.reasoning) ? body.reasoning : {};
  if (typeof reasoning.effort === 'string') chat.reasoning_effort = reasoning.effort;
  const tools = readTools(body.tools, chat);
  if (!tools.ok) return tools;
  const choice = readToolChoice(body.tool_choice, chat);
  if (!choice.ok) return choice;
  const text = readText(body.text, chat);
  if (!text.ok) return text;

  const store = body.store !== false;
  const echo: Echo = {
    instructions: typeof body.instructions === 'string' ? body.instructions : null,
    max_output_tokens: typeof maxOut === 'number' ? maxOut : null,
    metadata: isStringMap(body.metadata) ? body.metadata : {},
    parallel_tool_calls: body.parallel_tool_calls !== false,
    previous_response_id: typeof previous === 'string' ? previous : null,
    reasoning: { effort: typeof reasoning.effort === 'string' ? reasoning.effort : null, summary: typeof reasoning.summary === 'string' ? reasoning.summary : null },
    store,
    temperature: finiteNumber(body.temperature) ?? null,
    text: text.value,
    tool_choice: body.tool_choice ?? 'auto',
    tools: tools.value,
    top_p: finiteNumber(body.top_p) ?? null,
    user: typeof body.user === 'string' ? body.user : null,
  };
  return { ok: true, value: { model, stream: body.stream === true, store, previousResponseId: typeof previous === 'string' ? previous : undefined, input: input.value, chat, echo } };
}

/**
 * The chat completions request for a Responses request: `instructions` as the system message, then
 * the earlier turns (`history`: a previous response's input and output), then this input. A stream asks
 * for the usage chunk.
 *
 * @example
 * chatRequest(request, previous ? [...previous.input, ...previous.response.output] : []);
 */
export function chatRequest(r: ResponsesRequest, history: readonly Item[]): JsonObject {
  const system = r.echo.instructions === null ? [] : [{ role: 'system', content: r.echo.instructions }];
  const body: JsonObject = { model: r.model, messages: [...system, ...toChatMessages([...history, ...r.input])], ...r.chat };
  if (r.stream) Object.assign(body, { stream: true, stream_options: { include_usage: true } });
  return body;
}

/** Function tools become chat tools; any other kind (built-in tools) cannot be served through chat. */
function readTools(tools: unknown, chat: JsonObject): Read<JsonObject[]> {
  if (tools === undefined || tools === null) return { ok: true, value: [] };
  if (!Array.isArray(tools)) return bad('tools', 'must be an array');
  const out: JsonObject[] = [];
  for (const [i, t] of tools.entries()) {
    if (!isObject(t)) return bad(`tools[${i}]`, 'must be an object');
    if (t.type !== 'function') return bad(`tools[${i}].type`, `only function tools can be served here (got ${JSON.stringify(t.type ?? null)})`);
    if (typeof t.name !== 'string' || t.name === '') return bad(`tools[${i}].name`, 'is required and must be a string');
    const fn: JsonObject = { name: t.name };
    if (typeof t.description === 'string') fn.description = t.description;
    if (isObject(t.parameters)) fn.parameters = t.parameters;
    if (typeof t.strict === 'boolean') fn.strict = t.strict;
    out.push(t);
    ((chat.tools as JsonObject[] | undefined) ?? (chat.tools = [])).push({ type: 'function', function: fn });
  }
  return { ok: true, value: out };
}

function readToolChoice(choice: unknown, chat: JsonObject): Read<null> {
  if (choice === undefined || choice === null) return { ok: true, value: null };
  if (typeof choice === 'string' && TOOL_CHOICES.has(choice)) chat.tool_choice = choice;
  else if (isObject(choice) && choice.type === 'function' && typeof choice.name === 'string') chat.tool_choice = { type: 'function', function: { name: choice.name } };
  else return bad('tool_choice', 'must be none, auto, required or {"type": "function", "name": ...}');
  return { ok: true, value: null };
}

/** `text.format` becomes `response_format`; `text.verbosity` is chat's `verbosity`. */
function readText(text: unknown, chat: JsonObject): Read<Echo['text']> {
  if (text === undefined || text === null) return { ok: true, value: { format: { type: 'text' } } };
  if (!isObject(text)) return bad('text', 'must be an object');
  if (typeof text.verbosity === 'string') chat.verbosity = text.verbosity;
  const verbosity = typeof text.verbosity === 'string' ? { verbosity: text.verbosity } : {};
  const f = text.format;
  if (f === undefined || f === null || (isObject(f) && f.type === 'text')) return { ok: true, value: { format: { type: 'text' }, ...verbosity } };
  if (!isObject(f)) return bad('text.format', 'must be an object');
  if (f.type === 'json_object') chat.response_format = { type: 'json_object' };
  else if (f.type === 'json_schema') {
    if (typeof f.name !== 'string' || f.name === '') return bad('text.format.name', 'is required and must be a string');
    if (!isObject(f.schema)) return bad('text.format.schema', 'is required and must be a JSON schema object');
    const schema: JsonObject = { name: f.name, schema: f.schema };
    if (typeof f.description === 'string') schema.description = f.description;
    if (typeof f.strict === 'boolean') schema.strict = f.strict;
    chat.response_format = { type: 'json_schema', json_schema: schema };
  } else return bad('text.format.type', 'must be text, json_object or json_schema');
  return { ok: true, value: { format: f, ...verbosity } };
}

function isStringMap(v: unknown): v is Record<string, string> {
  return isObject(v) && Object.values(v).every((x) => typeof x === 'string');
}

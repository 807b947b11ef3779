/**
 * A quick yes for the requests nearly every caller sends: plain checks of the same rules as the zod
 * schemas in requests.ts, in one pass and with no objects made. It answers true only when the schema
 * would accept the body too; false means "ask the schema", which also words the error. The schemas
 * stay the one statement of the rules (the spec test reads them); test/unit/plainly-valid.test.ts
 * checks over many generated bodies that this never says yes where they say no.
 */
import type { RequestKind } from './validate.js';

type Json = Record<string, unknown>;

const ROLES: ReadonlySet<unknown> = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const optString = (v: unknown): boolean => v === undefined || typeof v === 'string';
/** Absent, null, or a number in [min, max]. */
const optRange = (v: unknown, min: number, max: number): boolean => v === undefined || v === null || (isNumber(v) && v >= min && v <= max);
/** Absent, null, or a safe integer in [min, max]. */
const optInt = (v: unknown, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): boolean =>
  v === undefined || v === null || (Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max);
const stringsOnly = (a: unknown[]): boolean => {
  for (const s of a) if (typeof s !== 'string') return false;
  return true;
};

function modelAndUser(b: Json): boolean {
  const model = b.model;
  return typeof model === 'string' && model.length >= 1 && model.length <= 256 && optString(b.user);
}

function sampling(b: Json): boolean {
  const stop = b.stop;
  const so = b.stream_options;
  return (
    modelAndUser(b) &&
    (b.stream === undefined || b.stream === null || typeof b.stream === 'boolean') &&
    optRange(b.temperature, 0, 2) &&
    optRange(b.top_p, 0, 1) &&
    optInt(b.n, 1, 128) &&
    optRange(b.presence_penalty, -2, 2) &&
    optRange(b.frequency_penalty, -2, 2) &&
    (stop === undefined || stop === null || typeof stop === 'string' || (Array.isArray(stop) && stop.length <= 4 && stringsOnly(stop))) &&
    (so === undefined || so === null || (isObject(so) && (so.include_usage === undefined || typeof so.include_usage === 'boolean')))
  );
}

function textParts(content: unknown[]): boolean {
  for (const p of content) if (!isObject(p) || p.type !== 'text' || typeof p.text !== 'string') return false;
  return true;
}

function contentParts(content: unknown[]): boolean {
  for (const p of content) if (!isObject(p) || typeof p.type !== 'string' || p.type.length === 0) return false;
  return true;
}

function toolCalls(calls: unknown): boolean {
  if (calls === undefined) return true;
  if (!Array.isArray(calls)) return false;
  for (const c of calls) {
    if (!isObject(c) || typeof c.id !== 'string' || typeof c.type !== 'string') return false;
    const f = c.function;
    if (f !== undefined && !(isObject(f) && typeof f.name === 'string' && typeof f.arguments === 'string')) return false;
  }
  return true;
}

function message(m: unknown): boolean {
  if (!isObject(m) || !ROLES.has(m.role)) return false;
  const { role, content } = m;
  if (content === undefined || content === null) {
    if (role !== 'assistant' && role !== 'function') return false;
  } else if (Array.isArray(content)) {
    if (!(role === 'system' || role === 'developer' || role === 'tool' ? textParts(content) : contentParts(content))) return false;
  } else if (typeof content !== 'string') return false;
  if (role === 'tool' ? typeof m.tool_call_id !== 'string' : !optString(m.tool_call_id)) return false;
  return optString(m.name) && toolCalls(m.tool_calls);
}

function chat(b: Json): boolean {
  const messages = b.messages;
  if (!Array.isArray(messages) || messages.length === 0 || !sampling(b) || !optInt(b.max_tokens) || !optInt(b.max_completion_tokens)) return false;
  for (const m of messages) if (!message(m)) return false;
  const tools = b.tools;
  if (tools === undefined) return true;
  if (!Array.isArray(tools)) return false;
  for (const t of tools) if (!isObject(t) || typeof t.type !== 'string') return false;
  return true;
}

function completion(b: Json): boolean {
  const prompt = b.prompt;
  // The common prompts only (a string, or strings); token arrays are left to the schema.
  if (!(prompt === null || typeof prompt === 'string' || (Array.isArray(prompt) && stringsOnly(prompt)))) return false;
  return (
    sampling(b) &&
    optInt(b.max_tokens, 0) &&
    optInt(b.best_of, 0, 20) &&
    (b.echo === undefined || b.echo === null || typeof b.echo === 'boolean') &&
    (b.suffix === undefined || b.suffix === null || typeof b.suffix === 'string')
  );
}

function embedding(b: Json): boolean {
  const input = b.input;
  const f = b.encoding_format;
  const d = b.dimensions;
  // A string, or 1 to 2,048 strings; tokens are left to the schema.
  if (!(typeof input === 'string' || (Array.isArray(input) && input.length >= 1 && input.length <= 2048 && stringsOnly(input)))) return false;
  return modelAndUser(b) && (f === undefined || f === 'float' || f === 'base64') && (d === undefined || (Number.isSafeInteger(d) && (d as number) >= 1));
}

/**
 * True when `body` (a JSON object) certainly passes the schema of `kind`; false when only the schema
 * can say (it may still pass).
 *
 * @example
 * plainlyValid('chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }); // true
 * plainlyValid('chat/completions', { model: 'gpt-4o', messages: [] }); // false: the schema words the error
 */
export function plainlyValid(kind: RequestKind, body: Json): boolean {
  if (kind === 'chat/completions') return chat(body);
  if (kind === 'completions') return completion(body);
  return embedding(body);
}

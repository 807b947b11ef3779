import { isObject } from '../translating/guards.js';

/**
 * JSON Schema → the OpenAPI subset Gemini's `parameters` and `responseSchema` accept. Keywords outside
 * the subset (`additionalProperties`, `$schema`, `$id`, `strict`, `exclusiveMinimum`, ...) make Gemini
 * answer 400, so they are dropped; local `$ref`s are inlined; `["string","null"]` and `anyOf` with a
 * null branch become `nullable`; `oneOf` becomes `anyOf`; string formats Gemini refuses are dropped.
 */
const KEEP = new Set([
  'description',
  'title',
  'nullable',
  'maxItems',
  'minItems',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'example',
  'default',
  'propertyOrdering',
]);

const FORMATS: Record<string, ReadonlySet<string>> = {
  string: new Set(['enum', 'date-time']),
  integer: new Set(['int32', 'int64']),
  number: new Set(['float', 'double']),
};

const MAX_DEPTH = 32;

export function toGeminiSchema(schema: unknown): Record<string, unknown> {
  return convert(schema, isObject(schema) ? schema : {}, 0, new Set());
}

/** Function `parameters`: undefined when the function takes no arguments (Gemini refuses empty objects). */
export function toGeminiParameters(schema: unknown): Record<string, unknown> | undefined {
  if (!isObject(schema)) return undefined;
  const out = toGeminiSchema(schema);
  if (out.type === 'object' && !isObject(out.properties)) return undefined;
  return out;
}

function resolveRef(ref: string, root: Record<string, unknown>): unknown {
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!m) return undefined;
  const defs = root[m[1]!];
  return isObject(defs) ? defs[decodeURIComponent(m[2]!).replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
}

/** `refs`: the `$ref`s being expanded on the current path; a recursive one is cut (Gemini has no references). */
function convert(schema: unknown, root: Record<string, unknown>, depth: number, refs: ReadonlySet<string>): Record<string, unknown> {
  if (!isObject(schema) || depth > MAX_DEPTH) return {};
  if (typeof schema.$ref === 'string') {
    const ref = schema.$ref;
    const target = refs.has(ref) ? {} : convert(resolveRef(ref, root), root, depth + 1, new Set([...refs, ref]));
    return typeof schema.description === 'string' ? { ...target, description: schema.description } : target;
  }
  const sub = (s: unknown) => convert(s, root, depth + 1, refs);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) if (KEEP.has(k)) out[k] = v;

  let type = schema.type;
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string' && t !== 'null');
    if (types.length < type.length) out.nullable = true;
    if (types.length === 1) type = types[0];
    else {
      type = undefined;
      if (types.length > 1) out.anyOf = types.map((t) => ({ type: t }));
    }
  }
  if (typeof type === 'string' && type !== 'null') out.type = type;
  else if (type === 'null') out.nullable = true;

  const enumValues = schema.const !== undefined ? [schema.const] : schema.enum;
  if (Array.isArray(enumValues) && enumValues.length > 0 && enumValues.every((e) => typeof e === 'string')) {
    out.enum = enumValues;
    out.type ??= 'string';
  }
  if (typeof schema.format === 'string' && typeof out.type === 'string' && FORMATS[out.type]?.has(schema.format)) out.format = schema.format;

  if (isObject(schema.properties)) {
    const props: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(schema.properties)) props[name] = sub(value);
    if (Object.keys(props).length > 0) {
      out.properties = props;
      if (Array.isArray(schema.required)) {
        const required = schema.required.filter((r): r is string => typeof r === 'string' && r in props);
        if (required.length > 0) out.required = required;
      }
    }
  }
  const items = Array.isArray(schema.items) ? schema.items[0] : schema.items;
  if (isObject(items)) out.items = sub(items);

  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (variants) {
    const kept = variants.filter((v) => !(isObject(v) && v.type === 'null' && Object.keys(v).length === 1));
    if (kept.length < variants.length) out.nullable = true;
    const converted = kept.map(sub);
    if (converted.length === 1) Object.assign(out, converted[0]);
    else if (converted.length > 1) out.anyOf = converted;
  }
  return out;
}

import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';

/**
 * The official OpenAI OpenAPI spec, read once, with just enough JSON Schema to answer "does the spec accept
 * this value?" and "what is a value it accepts?". Keywords are those the spec uses for request bodies;
 * annotations (description, format, discriminator, x-*) do not constrain. `nullable: true` (OpenAPI 3.0,
 * still used throughout this 3.1 document) admits null.
 */
export type Schema = { readonly [keyword: string]: unknown };

/**
 * The official spec: `OPENAI_OPENAPI_SPEC`, else ../shared/specs beside the checkout, else the workplace's
 * shared folder (a fresh clone elsewhere on the machine, as CI makes, has no ../shared beside it).
 */
export const SPEC_PATH =
  process.env.OPENAI_OPENAPI_SPEC ??
  [fileURLToPath(new URL('../../../shared/specs/openai-openapi.yaml', import.meta.url)), '/work/shared/specs/openai-openapi.yaml'].find((p) => existsSync(p)) ??
  '/work/shared/specs/openai-openapi.yaml';

/** A request body schema flattened through `$ref` and `allOf`: each property with every schema that constrains it. */
export interface RequestShape {
  properties: Map<string, Schema[]>;
  required: Set<string>;
}

export const isSchema = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);
export const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function hasType(value: unknown, type: unknown): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
      return typeof value === 'boolean';
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isSchema(value);
    default:
      throw new Error(`unknown JSON Schema type ${String(type)}`);
  }
}

export class OpenApiSpec {
  private readonly schemas: Record<string, unknown>;

  constructor(document: unknown) {
    const components = isSchema(document) ? document.components : undefined;
    const schemas = isSchema(components) ? components.schemas : undefined;
    if (!isSchema(schemas)) throw new Error('not an OpenAPI document: components.schemas is missing');
    this.schemas = schemas;
  }

  /** A named component schema (`CreateChatCompletionRequest`). */
  schema(name: string): Schema {
    const s = this.schemas[name];
    if (!isSchema(s)) throw new Error(`the spec has no schema ${name}`);
    return s;
  }

  /** Follows a local `$ref` (`#/components/schemas/X`); a schema without one is itself. */
  deref(s: Schema): Schema {
    if (typeof s.$ref !== 'string') return s;
    const prefix = '#/components/schemas/';
    if (!s.$ref.startsWith(prefix)) throw new Error(`unsupported $ref ${s.$ref}`);
    return this.deref(this.schema(s.$ref.slice(prefix.length)));
  }

  /** Top-level properties and required names of an object schema, gathered through `$ref` and `allOf`. */
  requestShape(name: string): RequestShape {
    const shape: RequestShape = { properties: new Map(), required: new Set() };
    const collect = (node: Schema): void => {
      const s = this.deref(node);
      for (const part of list(s.allOf)) if (isSchema(part)) collect(part);
      for (const r of list(s.required)) if (typeof r === 'string') shape.required.add(r);
      if (isSchema(s.properties)) {
        for (const [key, prop] of Object.entries(s.properties)) {
          if (isSchema(prop)) shape.properties.set(key, [...(shape.properties.get(key) ?? []), prop]);
        }
      }
    };
    collect(this.schema(name));
    return shape;
  }

  /** Whether the spec accepts `value` for `schema` (all of allOf, any of anyOf, exactly one of oneOf). */
  accepts(schema: unknown, value: unknown): boolean {
    if (schema === true || schema === undefined) return true;
    if (!isSchema(schema)) return false;
    const s = schema;
    if (value === null && s.nullable === true) return true;
    if (typeof s.$ref === 'string' && !this.accepts(this.deref(s), value)) return false;
    if (!list(s.allOf).every((sub) => this.accepts(sub, value))) return false;
    if (Array.isArray(s.anyOf) && !s.anyOf.some((sub) => this.accepts(sub, value))) return false;
    if (Array.isArray(s.oneOf) && s.oneOf.filter((sub) => this.accepts(sub, value)).length !== 1) return false;
    if (s.not !== undefined && this.accepts(s.not, value)) return false;
    if ('const' in s && !same(s.const, value)) return false;
    if (Array.isArray(s.enum) && !s.enum.some((e) => same(e, value))) return false;
    if (s.type !== undefined && !(Array.isArray(s.type) ? s.type : [s.type]).some((t) => hasType(value, t))) return false;
    if (typeof value === 'number') return this.acceptsNumber(s, value);
    if (typeof value === 'string') return this.acceptsString(s, value);
    if (Array.isArray(value)) return this.acceptsArray(s, value);
    if (isSchema(value)) return this.acceptsObject(s, value);
    return true;
  }

  private acceptsNumber(s: Schema, v: number): boolean {
    const min = num(s.minimum);
    const max = num(s.maximum);
    // 3.1 writes exclusive bounds as numbers, 3.0 as booleans next to minimum/maximum.
    if (min !== undefined && (s.exclusiveMinimum === true ? v <= min : v < min)) return false;
    if (max !== undefined && (s.exclusiveMaximum === true ? v >= max : v > max)) return false;
    if (typeof s.exclusiveMinimum === 'number' && v <= s.exclusiveMinimum) return false;
    if (typeof s.exclusiveMaximum === 'number' && v >= s.exclusiveMaximum) return false;
    const step = num(s.multipleOf);
    return step === undefined || Number.isInteger(v / step);
  }

  private acceptsString(s: Schema, v: string): boolean {
    const length = [...v].length;
    if (length < (num(s.minLength) ?? 0) || length > (num(s.maxLength) ?? Infinity)) return false;
    return typeof s.pattern !== 'string' || new RegExp(s.pattern, 'u').test(v);
  }

  private acceptsArray(s: Schema, v: unknown[]): boolean {
    if (v.length < (num(s.minItems) ?? 0) || v.length > (num(s.maxItems) ?? Infinity)) return false;
    if (s.uniqueItems === true && new Set(v.map((item) => JSON.stringify(item))).size !== v.length) return false;
    const prefix = list(s.prefixItems);
    return v.every((item, i) => this.accepts(i < prefix.length ? prefix[i] : s.items, item));
  }

  private acceptsObject(s: Schema, v: Schema): boolean {
    const keys = Object.keys(v);
    if (keys.length < (num(s.minProperties) ?? 0) || keys.length > (num(s.maxProperties) ?? Infinity)) return false;
    if (!list(s.required).every((r) => typeof r === 'string' && r in v)) return false;
    const props = isSchema(s.properties) ? s.properties : {};
    return keys.every((key) => {
      if (s.propertyNames !== undefined && !this.accepts(s.propertyNames, key)) return false;
      if (key in props) return this.accepts(props[key], v[key]);
      return s.additionalProperties === undefined || this.accepts(s.additionalProperties, v[key]);
    });
  }

  /** One value the spec accepts for each alternative of `schema` (a oneOf of six message roles gives six). */
  samples(schema: Schema, depth = 0): unknown[] {
    const s = this.deref(schema);
    const branches = [...list(s.oneOf), ...list(s.anyOf)].filter(isSchema);
    if (branches.length > 0) {
      // Each branch on its own, with the constraints written beside the oneOf/anyOf (allOf parts, siblings).
      const { oneOf: _one, anyOf: _any, ...rest } = s;
      return branches.flatMap((b) => this.samples(b, depth + 1).map((v) => this.merge(this.sample(rest, depth + 1), v))).filter((v) => this.accepts(s, v));
    }
    return [this.sample(s, depth)];
  }

  /** A value the spec accepts for `schema` (a best effort: the caller can check it with `accepts`). */
  sample(schema: Schema, depth = 0): unknown {
    const s = this.deref(schema);
    if (depth > 12) return {};
    if ('const' in s) return s.const;
    if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
    if (s.oneOf !== undefined || s.anyOf !== undefined) return this.samples(s, depth)[0] ?? null;
    const parts = list(s.allOf).filter(isSchema);
    if (parts.length > 0) {
      const { allOf: _all, ...rest } = s;
      return [...parts, rest].map((p) => this.sample(p, depth + 1)).reduce((a, b) => this.merge(a, b));
    }
    const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
    switch (type ?? (isSchema(s.properties) ? 'object' : undefined)) {
      case 'object': {
        const props = isSchema(s.properties) ? s.properties : {};
        const out: Record<string, unknown> = {};
        for (const r of list(s.required)) if (typeof r === 'string') out[r] = isSchema(props[r]) ? this.sample(props[r], depth + 1) : 'x';
        return out;
      }
      case 'array': {
        const item = isSchema(s.items) ? this.sample(s.items, depth + 1) : 'x';
        return Array.from({ length: Math.min(Math.max(num(s.minItems) ?? 0, 1), num(s.maxItems) ?? Infinity) }, () => item);
      }
      case 'string':
        return typeof s.example === 'string' && this.accepts(s, s.example) ? s.example : 'x'.repeat(Math.max(num(s.minLength) ?? 0, 1));
      case 'integer':
      case 'number': {
        const low = num(s.minimum) ?? (typeof s.exclusiveMinimum === 'number' ? Math.floor(s.exclusiveMinimum) + 1 : 0);
        return Math.min(low, num(s.maximum) ?? low);
      }
      case 'boolean':
        return true;
      case 'null':
        return null;
      default:
        return {};
    }
  }

  /** Objects merge (both sets of required fields); anything else: the second, more specific value. */
  private merge(a: unknown, b: unknown): unknown {
    return isSchema(a) && isSchema(b) ? { ...a, ...b } : b;
  }
}

let cached: OpenApiSpec | undefined;

/** The spec at SPEC_PATH (override with OPENAI_OPENAPI_SPEC), parsed once per test file. */
export function loadOpenApiSpec(): OpenApiSpec {
  if (cached) return cached;
  let text: string;
  try {
    text = readFileSync(SPEC_PATH, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the OpenAI spec at ${SPEC_PATH} (set OPENAI_OPENAPI_SPEC): ${(err as Error).message}`);
  }
  cached = new OpenApiSpec(load(text));
  return cached;
}

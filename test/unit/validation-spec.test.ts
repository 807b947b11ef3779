import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema } from '../../src/validate/requests.js';
import { type Validation, validateEmbeddingsRequest, validateRequest } from '../../src/validate/validate.js';
import { isSchema, list, loadOpenApiSpec, num, type Schema } from '../support/openapi-spec.js';

/**
 * The gateway's request validation, checked mechanically against the official OpenAI spec. For every
 * top-level property of each request schema, values generated from the spec's own constraints (bounds,
 * types, enums, item counts, nullability) are set on a valid body and go through the gateway's validator:
 * what the spec accepts must pass; what it refuses must be refused, naming the property, when the gateway
 * checks that property, and forwarded untouched when it does not. Nothing here lists fields by hand, so
 * a change to the spec shows up as a failure here.
 */
const spec = loadOpenApiSpec();

interface Surface {
  /** The request schema's name in the spec. */
  name: string;
  validate: (body: unknown) => Validation;
  /** Top-level fields the gateway checks; the others are forwarded whatever they hold. */
  checked: ReadonlySet<string>;
}

const fieldsOf = (schema: z.ZodObject): ReadonlySet<string> => new Set(Object.keys(schema.shape));
const SURFACES: Surface[] = [
  { name: 'CreateChatCompletionRequest', validate: (b) => validateRequest('chat/completions', b), checked: fieldsOf(chatRequestSchema) },
  { name: 'CreateCompletionRequest', validate: (b) => validateRequest('completions', b), checked: fieldsOf(completionRequestSchema) },
  { name: 'CreateEmbeddingRequest', validate: validateEmbeddingsRequest, checked: fieldsOf(embeddingRequestSchema) },
];

/** A deliberate difference from the spec, and why; every case outside these must agree with it. */
interface Difference {
  field: string;
  applies: (value: unknown) => boolean;
  why: string;
}
const STRICTER_THAN_SPEC: Difference[] = [
  { field: 'model', applies: (v) => v === '', why: 'an empty model names nothing to route' },
  { field: 'model', applies: (v) => typeof v === 'string' && v.length > 256, why: 'a model over 256 characters would only come back in a header no client can read' },
];
const LOOSER_THAN_SPEC: Difference[] = [{ field: 'stop', applies: (v) => Array.isArray(v) && v.length === 0, why: 'an empty stop list is forwarded: servers other than OpenAI take it' }];

interface Candidate {
  value: unknown;
  label: string;
}
const tried = (value: unknown, label: string): Candidate => ({ value, label });

/** A value of every JSON type, whatever the schema says: the spec decides which it accepts. */
const TYPE_PROBES: Candidate[] = [
  tried('text', 'a string'),
  tried(7, 'an integer'),
  tried(7.5, 'a fraction'),
  tried(true, 'a boolean'),
  tried({}, 'an object'),
  tried([], 'an empty array'),
  tried(null, 'null'),
];

/** The alternatives of a schema that constrain a value themselves (type, enum, const, nullable). */
function alternatives(schema: Schema): Schema[] {
  const s = spec.deref(schema);
  const own = s.type !== undefined || Array.isArray(s.enum) || 'const' in s || s.nullable === true ? [s] : [];
  const nested = [...list(s.allOf), ...list(s.anyOf), ...list(s.oneOf)].filter(isSchema);
  return [...own, ...nested.flatMap(alternatives)];
}

type Bound = { at: number; exclusive: boolean } | undefined;
function bound(s: Schema, side: 'Minimum' | 'Maximum'): Bound {
  const exclusive = s[`exclusive${side}`];
  const inclusive = s[side.toLowerCase()];
  if (typeof exclusive === 'number') return { at: exclusive, exclusive: true };
  return typeof inclusive === 'number' ? { at: inclusive, exclusive: exclusive === true } : undefined;
}

/** Each bound, just past it, inside the range, and the integer/fraction boundary. */
function numbers(s: Schema, integer: boolean): Candidate[] {
  const step = integer ? 1 : 0.01;
  const low = bound(s, 'Minimum');
  const high = bound(s, 'Maximum');
  const out: Candidate[] = [];
  if (low) out.push(tried(low.exclusive ? low.at + step : low.at, 'the minimum'), tried(low.exclusive ? low.at : low.at - step, 'below the minimum'));
  else out.push(tried(0, '0, no minimum'), tried(-1, 'below 0, no minimum'));
  if (high) out.push(tried(high.exclusive ? high.at - step : high.at, 'the maximum'), tried(high.exclusive ? high.at : high.at + step, 'above the maximum'));
  if (low && high) out.push(tried(integer ? Math.floor((low.at + high.at) / 2) : (low.at + high.at) / 2, 'inside the range'));
  out.push(tried((low?.at ?? 0) + (integer ? 0.5 : 0.25), integer ? 'not an integer' : 'a fraction'));
  return out;
}

function strings(s: Schema): Candidate[] {
  const min = num(s.minLength) ?? 0;
  const max = num(s.maxLength);
  const out = [tried(spec.sample(s), 'a sample'), tried('x'.repeat(min), 'the shortest')];
  if (min > 0) out.push(tried('x'.repeat(min - 1), 'too short'));
  if (max !== undefined) out.push(tried('x'.repeat(max), 'the longest'), tried('x'.repeat(max + 1), 'too long'));
  else out.push(tried('x'.repeat(1000), 'a long one, no maximum'));
  return out;
}

/**
 * One item of each kind the items allow (each listed value, or one sample per alternative), the fewest and
 * most items, one too few or too many; items that are arrays themselves get the same, one level down.
 */
function arrays(s: Schema): Candidate[] {
  const items = isSchema(s.items) ? spec.deref(s.items) : undefined;
  const kinds = !items ? ['x'] : Array.isArray(items.enum) ? items.enum : spec.samples(items);
  const fill = (n: number): unknown[] => Array.from({ length: n }, () => kinds[0]);
  const min = num(s.minItems) ?? 0;
  const max = num(s.maxItems);
  const out = kinds.map((item) => tried([item], 'one item of a kind'));
  if (Array.isArray(items?.enum)) out.push(tried(['not-a-listed-value'], 'an unlisted item'));
  for (const inner of items ? alternatives(items).filter((a) => a.type === 'array') : []) {
    out.push(...arrays(inner).map((c) => tried([c.value], `one item that has ${c.label}`)));
  }
  out.push(tried(fill(min), 'the fewest items'));
  if (min > 0) out.push(tried(fill(min - 1), 'too few items'));
  if (max !== undefined) out.push(tried(fill(max), 'the most items'), tried(fill(max + 1), 'too many items'));
  return out;
}

function candidatesOf(alternative: Schema): Candidate[] {
  const out: Candidate[] = [];
  if (alternative.nullable === true) out.push(tried(null, 'null, nullable'));
  if (Array.isArray(alternative.enum)) out.push(...alternative.enum.map((v) => tried(v, 'a listed value')), tried('not-a-listed-value', 'an unlisted value'));
  if ('const' in alternative) out.push(tried(alternative.const, 'the constant'));
  for (const type of Array.isArray(alternative.type) ? alternative.type : [alternative.type]) {
    if (type === 'integer' || type === 'number') out.push(...numbers(alternative, type === 'integer'));
    if (type === 'string' && !Array.isArray(alternative.enum)) out.push(...strings(alternative));
    if (type === 'boolean') out.push(tried(true, 'true'), tried(false, 'false'));
    if (type === 'array') out.push(...arrays(alternative));
    if (type === 'object') out.push(tried(spec.sample(alternative), 'an object with its required fields'));
    if (type === 'null') out.push(tried(null, 'null'));
  }
  return out;
}

/** Every candidate for a property (all schemas that constrain it), each distinct value once. */
function candidates(parts: Schema[]): Candidate[] {
  const all = [...parts.flatMap(alternatives).flatMap(candidatesOf), ...TYPE_PROBES];
  const seen = new Set<string>();
  return all.filter((c) => {
    const key = JSON.stringify(c.value);
    return !seen.has(key) && seen.add(key) !== undefined;
  });
}

const preview = (v: unknown): string => {
  const text = JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};
const names = (param: string | null, field: string): boolean => param === field || !!param?.startsWith(`${field}.`) || !!param?.startsWith(`${field}[`);

/** How the gateway answered the cases generated for one property. */
interface Verdicts {
  problems: string[];
  specAccepted: number;
  specRefused: number;
  gatewayRefused: number;
  excused: Set<Difference>;
}

/** A valid body built from the spec: its required fields, each a sample. */
function baseBody(name: string): Record<string, unknown> {
  const shape = spec.requestShape(name);
  return Object.fromEntries([...shape.required].map((field) => [field, spec.sample(shape.properties.get(field)?.[0] ?? {})]));
}

/** Sets each candidate on a valid body and compares the gateway's answer with the spec's. */
function judge(surface: Surface, field: string): Verdicts {
  const out: Verdicts = { problems: [], specAccepted: 0, specRefused: 0, gatewayRefused: 0, excused: new Set() };
  const excuse = (differences: Difference[], value: unknown): boolean => {
    const hit = differences.find((d) => d.field === field && d.applies(value));
    if (hit) out.excused.add(hit);
    return hit !== undefined;
  };
  const parts = spec.requestShape(surface.name).properties.get(field) ?? [];
  const base = baseBody(surface.name);
  for (const { value, label } of candidates(parts)) {
    const body = { ...base, [field]: value };
    const specAccepts = spec.accepts(spec.schema(surface.name), body);
    const v = surface.validate(body);
    const what = `${field} = ${preview(value)} (${label})`;
    if (specAccepts) out.specAccepted++;
    else out.specRefused++;
    if (!v.ok) out.gatewayRefused++;
    let problem: string | undefined;
    if (specAccepts) {
      if (v.ok && v.body !== body) problem = `${what}: accepted, but not forwarded as sent`;
      if (!v.ok && !excuse(STRICTER_THAN_SPEC, value)) problem = `${what}: the spec accepts it, the gateway refuses: ${v.message}`;
    } else if (!surface.checked.has(field)) {
      // Fields the gateway does not check are the upstream's to judge: forwarded as they are.
      if (!v.ok || v.body !== body) problem = `${what}: unchecked field, yet not forwarded untouched`;
    } else if (v.ok) {
      if (!excuse(LOOSER_THAN_SPEC, value)) problem = `${what}: the spec refuses it, the gateway accepts it`;
    } else if (!names(v.param, field)) {
      problem = `${what}: refused with param ${String(v.param)}, which does not name ${field}`;
    } else if (!v.message.startsWith(`Invalid request: ${v.param}: `)) {
      problem = `${what}: message "${v.message}" does not lead with the param`;
    }
    if (problem) out.problems.push(problem);
  }
  return out;
}

for (const surface of SURFACES) {
  describe(`${surface.name} (official spec) against the gateway's validator`, () => {
    const shape = spec.requestShape(surface.name);
    const base = baseBody(surface.name);

    it('a minimal body built from the spec passes both, vendor fields and all', () => {
      expect(spec.accepts(spec.schema(surface.name), base)).toBe(true);
      const body = { ...base, x_vendor_option: { keep: [1, 'two'] } };
      const v = surface.validate(body);
      expect(v).toMatchObject({ ok: true, model: base.model, stream: false });
      expect(v.ok && v.body).toBe(body);
    });

    it.each([...shape.required])('refuses a body without %s, naming it', (field) => {
      const { [field]: _dropped, ...body } = base;
      expect(spec.accepts(spec.schema(surface.name), body)).toBe(false);
      expect(surface.validate(body)).toMatchObject({ ok: false, param: field, message: expect.stringMatching(new RegExp(`^Invalid request: ${field}: is required`)) });
    });

    it('refuses a body without a model, which it could not route', () => {
      const { model: _dropped, ...body } = base;
      expect(surface.validate(body)).toMatchObject({ ok: false, param: 'model' });
    });

    it.each([...shape.properties.keys()])('%s: accepts what the spec accepts, refuses what it refuses', (field) => {
      expect(judge(surface, field).problems).toEqual([]);
    });
  });
}

describe('the generated cases, all schemas together', () => {
  let all: Verdicts[] | undefined;
  const verdicts = (): Verdicts[] => (all ??= SURFACES.flatMap((surface) => [...spec.requestShape(surface.name).properties.keys()].map((field) => judge(surface, field))));
  const total = (key: 'specAccepted' | 'specRefused' | 'gatewayRefused'): number => verdicts().reduce((n, v) => n + v[key], 0);

  it('cover both sides of the spec', () => {
    expect(total('specAccepted')).toBeGreaterThan(100);
    expect(total('specRefused')).toBeGreaterThan(100);
    expect(total('gatewayRefused')).toBeGreaterThan(100);
  });

  it('still need every deliberate difference listed', () => {
    const used = new Set(verdicts().flatMap((v) => [...v.excused]));
    expect([...STRICTER_THAN_SPEC, ...LOOSER_THAN_SPEC].filter((d) => !used.has(d)).map((d) => `${d.field}: ${d.why}`)).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import { plainlyValid } from '../../src/validate/plainly-valid.js';
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema } from '../../src/validate/requests.js';
import { type RequestKind, validateRequest } from '../../src/validate/validate.js';

const SCHEMAS = { 'chat/completions': chatRequestSchema, completions: completionRequestSchema, embeddings: embeddingRequestSchema } as const;

/** A small seeded generator, so that a failure names a body that can be made again. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = Record<string, unknown>;

/** Values near every rule's edges, of every JSON type. */
const ODD: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -0,
  1,
  2,
  4,
  5,
  128,
  129,
  20,
  21,
  -1,
  -2,
  -2.5,
  0.5,
  1.5,
  2.5,
  1e300,
  2 ** 53,
  '',
  'x',
  'text',
  'tool',
  'user',
  [],
  [''],
  ['a', 'b', 'c', 'd', 'e'],
  [1, 2],
  [[1]],
  [[]],
  {},
  { type: 'text' },
  { type: 'text', text: 'a' },
  { type: '' },
  { type: 'image_url' },
  { include_usage: 'yes' },
  { include_usage: true },
];
const FIELDS = [
  'model',
  'user',
  'stream',
  'temperature',
  'top_p',
  'n',
  'presence_penalty',
  'frequency_penalty',
  'stop',
  'stream_options',
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'tools',
  'prompt',
  'best_of',
  'echo',
  'suffix',
  'input',
  'encoding_format',
  'dimensions',
];
const MESSAGE_FIELDS = ['role', 'content', 'name', 'tool_calls', 'tool_call_id'];
const ROLES = ['system', 'developer', 'user', 'assistant', 'tool', 'function', 'robot', 1];

const BASES: Record<RequestKind, Json[]> = {
  'chat/completions': [
    { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
    {
      model: 'm',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'be brief' }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: 'data:' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'result' },
      ],
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.7,
      top_p: 1,
      n: 1,
      stop: ['\n'],
      max_tokens: 100,
      tools: [{ type: 'function', function: { name: 'f' } }],
      user: 'u1',
    },
  ],
  completions: [
    { model: 'gpt-3.5-turbo-instruct', prompt: 'Say this is a test', max_tokens: 7, temperature: 0 },
    { model: 'm', prompt: ['a', 'b'], best_of: 2, echo: false, suffix: null, stream: false },
  ],
  embeddings: [
    { model: 'text-embedding-3-small', input: 'hello' },
    { model: 'm', input: ['a', 'b'], encoding_format: 'base64', dimensions: 256 },
  ],
};

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

/** A copy of `base` with one to three fields (top level or in a message) set to odd values, or removed. */
function mutate(r: () => number, base: Json): Json {
  const b = structuredClone(base);
  const changes = 1 + Math.floor(r() * 3);
  for (let i = 0; i < changes; i++) {
    const messages = b.messages;
    if (Array.isArray(messages) && messages.length > 0 && r() < 0.5) {
      const j = Math.floor(r() * messages.length);
      const field = pick(r, MESSAGE_FIELDS);
      const value = field === 'role' ? pick(r, ROLES) : pick(r, ODD);
      if (typeof messages[j] === 'object' && messages[j] !== null) {
        if (value === undefined) delete (messages[j] as Json)[field];
        else (messages[j] as Json)[field] = value;
      } else messages[j] = value;
      continue;
    }
    const field = pick(r, FIELDS);
    const value = pick(r, ODD);
    if (value === undefined) delete b[field];
    else b[field] = structuredClone(value);
  }
  return b;
}

describe('plainlyValid', () => {
  it('says yes to the requests callers usually send (and the schema agrees)', () => {
    for (const [kind, bases] of Object.entries(BASES) as Array<[RequestKind, Json[]]>) {
      for (const body of bases) {
        expect(SCHEMAS[kind].safeParse(body).success).toBe(true);
        expect(plainlyValid(kind, body)).toBe(true);
      }
    }
  });

  it('never says yes where the schema says no, over 60,000 generated bodies', () => {
    const r = rng(16);
    let yes = 0;
    let schemaYes = 0;
    for (let i = 0; i < 20_000; i++) {
      for (const kind of Object.keys(BASES) as RequestKind[]) {
        const body = mutate(r, pick(r, BASES[kind]));
        const quick = plainlyValid(kind, body);
        const schema = SCHEMAS[kind].safeParse(body).success;
        if (quick && !schema) expect.fail(`plainlyValid says yes, the ${kind} schema no: ${JSON.stringify(body)}`);
        if (quick) yes += 1;
        if (schema) schemaYes += 1;
      }
    }
    // The generator reaches both sides, and the quick check takes most of what the schema takes.
    expect(schemaYes).toBeGreaterThan(5_000);
    expect(yes / schemaYes).toBeGreaterThan(0.9);
  });

  it('leaves the wording of every error to the schema', () => {
    const v = validateRequest('chat/completions', { model: 'm', messages: [{ role: 'tool', content: 'x' }] });
    expect(v).toEqual({ ok: false, message: 'Invalid request: messages[0].tool_call_id: is required for messages with role "tool"', param: 'messages[0].tool_call_id' });
    const ok = validateRequest('chat/completions', { model: 'm', messages: [{ role: 'user', content: 'x' }], stream: true });
    expect(ok).toMatchObject({ ok: true, model: 'm', stream: true });
  });
});

/**
 * OpenAI embeddings through a translating adapter: the pure pieces every protocol shares. The client's
 * `input` read as texts (the native embedding APIs behind these adapters take text, not token ids),
 * `dimensions`, and the provider's vectors back as OpenAI's list, as floats or as base64.
 */
import type { MappedError } from './error-mapping.js';
import { finiteNumber, type JsonObject } from './guards.js';
import { RequestMappingError } from './request-mapping.js';

/**
 * How the client wants each vector: a JSON array of numbers, or base64 of its little-endian float32 bytes.
 *
 * @example
 * const format: EncodingFormat = encodingFormat({ encoding_format: 'base64' }); // 'base64'
 */
export type EncodingFormat = 'float' | 'base64';

/**
 * One vector of OpenAI's answer.
 *
 * @example
 * const item: OpenAIEmbedding = { object: 'embedding', index: 0, embedding: [0.25, -0.5] };
 */
export interface OpenAIEmbedding {
  object: 'embedding';
  index: number;
  /** The vector (`encoding_format: 'float'`), or base64 of its float32 little-endian bytes. */
  embedding: number[] | string;
}

/**
 * OpenAI's embeddings answer (`CreateEmbeddingResponse`).
 *
 * @example
 * const list: OpenAIEmbeddingList = { object: 'list', data: [], model: 'text-embedding-3-small', usage: { prompt_tokens: 0, total_tokens: 0 } };
 */
export interface OpenAIEmbeddingList {
  object: 'list';
  data: OpenAIEmbedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/**
 * A provider's embeddings answer in the gateway's terms, before encoding: one vector per input, in order.
 *
 * @example
 * const got: Embeddings = { vectors: [[0.25, 0.5]], promptTokens: 3, model: 'nomic-embed-text' };
 */
export interface Embeddings {
  vectors: number[][];
  /** Tokens the input counted as (measured by the provider, or estimated where it reports none). */
  promptTokens: number;
  /** The model the provider says answered, when it says. */
  model?: string;
}

/**
 * A provider's embeddings answer translated: the vectors, or the error to answer with.
 *
 * @example
 * const answer: EmbeddingsAnswer = vectors ? { status: 200, body: { vectors, promptTokens: 3 } } : notAnAnswer('No embeddings.');
 */
export type EmbeddingsAnswer = { status: 200; body: Embeddings } | MappedError;

/**
 * The texts of an OpenAI `input`, and whether it was one string (a list of one stays a list).
 *
 * @example
 * const input: TextInput = { texts: ['a', 'b'], single: false };
 */
export interface TextInput {
  texts: string[];
  single: boolean;
}

/**
 * OpenAI's `input` as texts. Token ids (an array of integers, or of integer arrays) cannot be given to a
 * provider that embeds text only: a RequestMappingError naming `input` (the adapter answers 400). The
 * gateway validated the shape already; anything else is refused the same way.
 *
 * @example
 * textInput('hello', 'Gemini');        // { texts: ['hello'], single: true }
 * textInput(['a', 'b'], 'Gemini');     // { texts: ['a', 'b'], single: false }
 * textInput([[1, 2]], 'Gemini');       // throws RequestMappingError (param 'input', code 'unsupported_input')
 */
export function textInput(input: unknown, provider: string): TextInput {
  if (typeof input === 'string') return { texts: [input], single: true };
  if (Array.isArray(input) && input.length > 0 && input.every((t): t is string => typeof t === 'string')) return { texts: input, single: false };
  const tokens = Array.isArray(input) && input.length > 0;
  throw new RequestMappingError(
    tokens ? `${provider} embeds text only: \`input\` must be a string or an array of strings, not token ids.` : '`input` must be a string or a non-empty array of strings.',
    'input',
    tokens ? 'unsupported_input' : 'invalid_value',
  );
}

/**
 * The requested `dimensions`: a positive integer, else undefined (the model's full size).
 *
 * @example
 * requestedDimensions({ dimensions: 256 }); // 256
 * requestedDimensions({});                  // undefined
 */
export function requestedDimensions(body: JsonObject): number | undefined {
  const n = finiteNumber(body.dimensions);
  return n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * The `encoding_format` asked for: base64 only when said so (OpenAI's default is float).
 *
 * @example
 * encodingFormat({ encoding_format: 'base64' }); // 'base64'
 * encodingFormat({});                            // 'float'
 */
export function encodingFormat(body: JsonObject): EncodingFormat {
  return body.encoding_format === 'base64' ? 'base64' : 'float';
}

/**
 * A vector as OpenAI's base64: its numbers as float32, little-endian, one after the other (what the
 * openai SDKs decode with a Float32Array).
 *
 * @example
 * float32Base64([1, -2]); // 'AACAPwAAAMA='
 */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (const [i, v] of vector.entries()) bytes.writeFloatLE(v, i * 4);
  return bytes.toString('base64');
}

/**
 * A provider's value as a vector: a non-empty array of finite numbers, else undefined.
 *
 * @example
 * numberVector([0.1, 0.2]); // [0.1, 0.2]
 * numberVector([0.1, '2']); // undefined
 */
export function numberVector(value: unknown): number[] | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value.every((v): v is number => finiteNumber(v) !== undefined) ? value : undefined;
}

/**
 * Vectors as OpenAI's answer, in input order, encoded as asked; `model` unless the provider named one.
 *
 * @example
 * toOpenAIEmbeddingList({ vectors: [[0.5]], promptTokens: 2 }, { model: 'e', encodingFormat: 'float' });
 * // { object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.5] }], model: 'e', usage: { prompt_tokens: 2, total_tokens: 2 } }
 */
export function toOpenAIEmbeddingList(got: Embeddings, ctx: { model: string; encodingFormat: EncodingFormat }): OpenAIEmbeddingList {
  return {
    object: 'list',
    data: got.vectors.map((v, index) => ({ object: 'embedding', index, embedding: ctx.encodingFormat === 'base64' ? float32Base64(v) : v })),
    model: got.model ?? ctx.model,
    usage: { prompt_tokens: got.promptTokens, total_tokens: got.promptTokens },
  };
}

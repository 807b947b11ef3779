/**
 * OpenAI embeddings ⇄ Gemini's `models/{model}:batchEmbedContents`: one request per text, each naming
 * the model of the URL, and `{embeddings: [{values}]}` back, in the same order. Pure.
 */
import { type EmbeddingsAnswer, numberVector, requestedDimensions, textInput } from '../translating/embeddings.js';
import { notAnAnswer } from '../translating/error-mapping.js';
import { isObject, type JsonObject } from '../translating/guards.js';
import { RequestMappingError } from '../translating/request-mapping.js';
import { mapGoogleErrorObject } from './response.js';
import { type GeminiEmbedRequest, type GoogleError, geminiModelName } from './wire.js';

/** The most requests Gemini takes in one `batchEmbedContents` call. */
export const GEMINI_MAX_BATCH = 100;

/**
 * An OpenAI embeddings body → Gemini's batch: every text its own request, `dimensions` as each one's
 * `outputDimensionality`. Throws a RequestMappingError for token ids (Gemini takes text) and for more
 * texts than one batch holds.
 *
 * @example
 * toGeminiEmbedRequest({ model: 'gemini-embedding-001', input: ['a', 'b'], dimensions: 8 });
 * // { requests: [
 * //   { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] }, outputDimensionality: 8 },
 * //   { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] }, outputDimensionality: 8 } ] }
 */
export function toGeminiEmbedRequest(body: JsonObject): GeminiEmbedRequest {
  const { texts } = textInput(body.input, 'Gemini');
  if (texts.length > GEMINI_MAX_BATCH) {
    throw new RequestMappingError(`Gemini embeds at most ${GEMINI_MAX_BATCH} inputs per request; \`input\` has ${texts.length}.`, 'input', 'too_many_inputs');
  }
  const model = geminiModelName(typeof body.model === 'string' ? body.model : '');
  const dimensions = requestedDimensions(body);
  return {
    requests: texts.map((text) => ({ model, content: { parts: [{ text }] }, ...(dimensions !== undefined ? { outputDimensionality: dimensions } : {}) })),
  };
}

/**
 * Tokens a batch counts as, estimated: `batchEmbedContents` reports no token counts, so accounting uses
 * about four characters per token (Google's own rule of thumb for its tokenizers), rounded up.
 *
 * @example
 * estimatedTokens(['hello world']); // 3 (11 characters)
 */
export function estimatedTokens(texts: readonly string[]): number {
  const chars = texts.reduce((n, t) => n + [...t].length, 0);
  return Math.ceil(chars / 4);
}

/**
 * Gemini's batch answer (parsed; undefined when not JSON) → the vectors in input order, with usage
 * estimated from what was sent. An answer without one vector per text is not an answer (a 502, so the
 * gateway tries elsewhere); a 200 carrying Google's error envelope keeps its message.
 *
 * @example
 * fromGeminiEmbeddings({ embeddings: [{ values: [0.5, 0.25] }] }, { requests: [{ model: 'models/m', content: { parts: [{ text: 'abcd' }] } }] });
 * // { status: 200, body: { vectors: [[0.5, 0.25]], promptTokens: 1 } }
 */
export function fromGeminiEmbeddings(answer: unknown, sent: GeminiEmbedRequest): EmbeddingsAnswer {
  if (isObject(answer) && isObject(answer.error)) {
    const e = answer.error as GoogleError;
    return mapGoogleErrorObject(typeof e.code === 'number' ? e.code : 502, e);
  }
  const items = isObject(answer) && Array.isArray(answer.embeddings) ? answer.embeddings : undefined;
  if (!items) return notAnAnswer('Gemini sent a response that is not an embeddings answer.');
  if (items.length !== sent.requests.length) return notAnAnswer(`Gemini returned ${items.length} embeddings for ${sent.requests.length} inputs.`);
  const vectors: number[][] = [];
  for (const item of items) {
    const values = isObject(item) ? numberVector(item.values) : undefined;
    if (!values) return notAnAnswer('Gemini returned an embedding without values.');
    vectors.push(values);
  }
  const texts = sent.requests.flatMap((r) => r.content.parts.map((p) => p.text));
  return { status: 200, body: { vectors, promptTokens: estimatedTokens(texts) } };
}

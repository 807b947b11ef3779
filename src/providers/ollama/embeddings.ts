/**
 * OpenAI embeddings ⇄ Ollama's `POST /api/embed`: `{model, input, dimensions?}` out, `{model,
 * embeddings: [[...]], prompt_eval_count}` back, one vector per input in order. Pure.
 */
import { type EmbeddingsAnswer, numberVector, requestedDimensions, textInput } from '../translating/embeddings.js';
import { notAnAnswer } from '../translating/error-mapping.js';
import { isObject, type JsonObject, tokenCount } from '../translating/guards.js';
import { ollamaError } from './response.js';

/**
 * `POST /api/embed` body: one string or several (Ollama takes text only).
 *
 * @example
 * const req: OllamaEmbedRequest = { model: 'nomic-embed-text', input: ['a', 'b'], dimensions: 256 };
 */
export interface OllamaEmbedRequest {
  model: string;
  input: string | string[];
  dimensions?: number;
}

/**
 * An OpenAI embeddings body → Ollama's: `input` keeps its shape (one string, or a list), `dimensions`
 * as it is. Throws a RequestMappingError for token ids.
 *
 * @example
 * toOllamaEmbedRequest({ model: 'nomic-embed-text', input: 'hi', encoding_format: 'base64' });
 * // { model: 'nomic-embed-text', input: 'hi' }
 */
export function toOllamaEmbedRequest(body: JsonObject): OllamaEmbedRequest {
  const { texts, single } = textInput(body.input, 'Ollama');
  const dimensions = requestedDimensions(body);
  return {
    model: typeof body.model === 'string' ? body.model : '',
    input: single ? texts[0]! : texts,
    ...(dimensions !== undefined ? { dimensions } : {}),
  };
}

/**
 * Ollama's embed answer (parsed; undefined when not JSON) → the vectors, `prompt_eval_count` as the
 * prompt tokens (missing means 0: Ollama omits zero counts). An answer without one vector per input is
 * not an answer (a 502, so the gateway tries elsewhere); a 200 carrying `{"error": ...}` keeps its message.
 *
 * @example
 * fromOllamaEmbeddings({ model: 'nomic-embed-text', embeddings: [[0.5]], prompt_eval_count: 2 }, { model: 'nomic-embed-text', input: 'hi' });
 * // { status: 200, body: { vectors: [[0.5]], promptTokens: 2, model: 'nomic-embed-text' } }
 */
export function fromOllamaEmbeddings(answer: unknown, sent: OllamaEmbedRequest): EmbeddingsAnswer {
  if (!isObject(answer) || !Array.isArray(answer.embeddings)) {
    const reported = isObject(answer) && 'error' in answer ? ollamaError(502, answer).body.error.message : undefined;
    return notAnAnswer(reported ?? 'Ollama sent a response that is not an embeddings answer.');
  }
  const expected = typeof sent.input === 'string' ? 1 : sent.input.length;
  if (answer.embeddings.length !== expected) return notAnAnswer(`Ollama returned ${answer.embeddings.length} embeddings for ${expected} inputs.`);
  const vectors: number[][] = [];
  for (const item of answer.embeddings) {
    const vector = numberVector(item);
    if (!vector) return notAnAnswer('Ollama returned an embedding that is not a list of numbers.');
    vectors.push(vector);
  }
  const model = typeof answer.model === 'string' && answer.model !== '' ? answer.model : undefined;
  return { status: 200, body: { vectors, promptTokens: tokenCount(answer.prompt_eval_count), ...(model ? { model } : {}) } };
}

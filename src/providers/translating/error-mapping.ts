/**
 * The one shape every translating adapter maps a provider's failure into: the OpenAI error envelope
 * with the status to answer (the attempt loop classifies that status the same way for every provider).
 */
import type { ChatCompletion, OpenAIErrorBody } from '../openai-wire.js';
import { errorTypeFor } from '../respond-as-openai.js';

/**
 * A provider's error in OpenAI's terms.
 *
 * @example
 * const overloaded: MappedError = { status: 529, body: openAIErrorBody('Overloaded', 'service_unavailable_error', 'server_is_overloaded') };
 */
export interface MappedError {
  /** The status to answer with: usually the provider's, or one that fails over the same way. */
  status: number;
  body: OpenAIErrorBody;
  /** Seconds to wait, when the provider said so only in its body (Gemini's RetryInfo); its header wins. */
  retryAfter?: string;
}

/**
 * A provider's whole answer in OpenAI's terms: a chat completion, or an error to answer with.
 *
 * @example
 * const answer: TranslatedAnswer = completion ? { status: 200, body: completion } : notAnAnswer('Not a Messages response.');
 */
export type TranslatedAnswer = { status: 200; body: ChatCompletion } | MappedError;

/**
 * The OpenAI error envelope.
 *
 * @example
 * openAIErrorBody('Overloaded', 'service_unavailable_error', 'server_is_overloaded');
 * // { error: { message: 'Overloaded', type: 'service_unavailable_error', param: null, code: 'server_is_overloaded' } }
 */
export function openAIErrorBody(message: string, type: string, code: string | null = null, param: string | null = null): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/**
 * A mapped error whose `type` follows from the status unless given.
 *
 * @example
 * mappedError(429, 'too many requests', undefined, 'rate_limit_exceeded');
 * // { status: 429, body: { error: { message: 'too many requests', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } } }
 */
export function mappedError(status: number, message: string, type: string = errorTypeFor(status), code: string | null = null): MappedError {
  return { status, body: openAIErrorBody(message, type, code) };
}

/**
 * A 200 answer that is not one (not JSON, or not the protocol's answer shape): a 502, so the gateway
 * tries elsewhere.
 *
 * @example
 * notAnAnswer('Ollama sent a response that is not a chat answer.').status; // 502
 */
export function notAnAnswer(message: string): MappedError {
  return mappedError(502, message, 'server_error', 'bad_upstream_response');
}

/**
 * Whether a translated answer (a completion, embeddings) is an error rather than the answer.
 *
 * @example
 * isMappedError(notAnAnswer('no')); // true
 */
export function isMappedError<Answer extends { status: number; body: object }>(answer: Answer | MappedError): answer is MappedError {
  return 'error' in answer.body;
}

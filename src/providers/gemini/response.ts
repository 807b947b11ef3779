import type { ChatCompletion, OpenAIErrorBody, OpenAIToolCall, OpenAIUsage } from '../openai-wire.js';
import { errorTypeFor } from '../respond-as-openai.js';
import { type MappedError, mappedError, openAIErrorBody, type TranslatedAnswer } from '../translating/error-mapping.js';
import { isObject, parseJson, tokenCount } from '../translating/guards.js';
import { type GeminiCandidate, type GeminiResponse, type GeminiUsageMetadata, type GoogleError, THOUGHT_SIGNATURE_MARKER } from './wire.js';

/** What a translated response needs besides Gemini's answer. */
export interface ResponseContext {
  /** `chatcmpl-...`, one per response (also for every chunk of a stream). */
  id: string;
  created: number;
  /** The upstream model asked for (Gemini's `modelVersion` wins when present). */
  model: string;
  /** A fresh OpenAI tool-call id, for calls Gemini sent without one. */
  newToolCallId: () => string;
}

const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/** Gemini `finishReason` → OpenAI `finish_reason`; Gemini says STOP after function calls too. */
export function finishReasonOf(reason: string | undefined, hasToolCalls: boolean): string {
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && FILTERED.has(reason)) return 'content_filter';
  return hasToolCalls ? 'tool_calls' : 'stop';
}

/** OpenAI counts reasoning in completion tokens and tool-use prompts in prompt tokens; Gemini counts them apart. */
export function toOpenAIUsage(u: GeminiUsageMetadata): OpenAIUsage {
  const prompt = tokenCount(u.promptTokenCount) + tokenCount(u.toolUsePromptTokenCount);
  const completion = tokenCount(u.candidatesTokenCount) + tokenCount(u.thoughtsTokenCount);
  const usage: OpenAIUsage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: typeof u.totalTokenCount === 'number' ? u.totalTokenCount : prompt + completion };
  if (tokenCount(u.cachedContentTokenCount) > 0) usage.prompt_tokens_details = { cached_tokens: tokenCount(u.cachedContentTokenCount) };
  if (tokenCount(u.thoughtsTokenCount) > 0) usage.completion_tokens_details = { reasoning_tokens: tokenCount(u.thoughtsTokenCount) };
  return usage;
}

/** One Gemini function call as an OpenAI tool call; a thought signature rides along in the id. */
export function toToolCall(name: string, call: Record<string, unknown>, thoughtSignature: string | undefined, ctx: ResponseContext): OpenAIToolCall {
  const base = typeof call.id === 'string' && call.id !== '' ? call.id : ctx.newToolCallId();
  return {
    id: thoughtSignature ? `${base}${THOUGHT_SIGNATURE_MARKER}${thoughtSignature}` : base,
    type: 'function',
    function: { name, arguments: JSON.stringify(isObject(call.args) ? call.args : {}) },
  };
}

/** A candidate's answer text (thought summaries left out) and function calls. */
export function candidateOutput(c: GeminiCandidate, ctx: ResponseContext): { text: string | null; toolCalls: OpenAIToolCall[] } {
  let text: string | null = null;
  const toolCalls: OpenAIToolCall[] = [];
  for (const part of c.content?.parts ?? []) {
    if (!isObject(part)) continue;
    if (typeof part.text === 'string' && part.thought !== true) text = (text ?? '') + part.text;
    else if (isObject(part.functionCall) && typeof part.functionCall.name === 'string') {
      toolCalls.push(toToolCall(part.functionCall.name, part.functionCall, typeof part.thoughtSignature === 'string' ? part.thoughtSignature : undefined, ctx));
    }
  }
  return { text, toolCalls };
}

/** The prompt itself was blocked (no candidates): a 400 the client gets as its own. */
export function blockedPromptError(reason: string): OpenAIErrorBody {
  return openAIErrorBody(`Gemini blocked the prompt (blockReason ${reason}).`, 'invalid_request_error', 'content_filter');
}

/**
 * A whole `generateContent` answer → `{status, body}` in OpenAI's format: a chat.completion (200), a
 * blocked prompt (400), or an answer without candidates (502, so the gateway tries elsewhere).
 */
export function fromGeminiResponse(res: GeminiResponse, ctx: ResponseContext): TranslatedAnswer {
  if (isObject(res.error)) return mapGoogleErrorObject(typeof res.error.code === 'number' ? res.error.code : 502, res.error);
  const candidates = Array.isArray(res.candidates) ? res.candidates : [];
  if (candidates.length === 0) {
    const blocked = res.promptFeedback?.blockReason;
    if (blocked) return { status: 400, body: blockedPromptError(blocked) };
    return mappedError(502, 'Gemini returned no candidates.', 'server_error', 'empty_response');
  }
  const choices = candidates
    .map((c, i): ChatCompletion['choices'][number] => {
      const { text, toolCalls } = candidateOutput(c, ctx);
      return {
        index: typeof c.index === 'number' ? c.index : i,
        message: { role: 'assistant', content: text, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
        logprobs: null,
        finish_reason: finishReasonOf(c.finishReason, toolCalls.length > 0),
      };
    })
    .sort((a, b) => a.index - b.index);
  return {
    status: 200,
    body: {
      id: ctx.id,
      object: 'chat.completion',
      created: ctx.created,
      model: typeof res.modelVersion === 'string' ? res.modelVersion : ctx.model,
      choices,
      usage: toOpenAIUsage(isObject(res.usageMetadata) ? res.usageMetadata : {}),
    },
  };
}

/**
 * A Google error answer (its body parsed; undefined when not JSON) → the OpenAI envelope with the
 * fitting status. The array form (`[{"error": ...}]`) is what the non-SSE stream endpoint sends.
 */
export function googleError(status: number, body: unknown): MappedError {
  const envelope: unknown = Array.isArray(body) ? body[0] : body;
  if (!isObject(envelope) || !isObject(envelope.error)) return mappedError(status, `Gemini answered HTTP ${status} without a JSON error body.`);
  return mapGoogleErrorObject(status, envelope.error);
}

/** `googleError` from the body's text. */
export const mapGoogleError = (status: number, text: string): MappedError => googleError(status, parseJson(text));

export function mapGoogleErrorObject(status: number, e: GoogleError): MappedError {
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : `Gemini answered HTTP ${status}.`;
  const details = Array.isArray(e.details) ? e.details.filter(isObject) : [];
  const reasons = details.map((d) => d.reason).filter((r): r is string => typeof r === 'string');
  if (reasons.includes('API_KEY_INVALID')) {
    // Google says 400 for a bad key; it is the provider's key at fault, not the request.
    return mappedError(401, message, 'authentication_error', 'invalid_api_key');
  }
  const code = typeof e.status === 'string' && e.status !== '' ? e.status.toLowerCase() : null;
  const out = mappedError(status, message, errorTypeFor(status), code);
  const delay = details.find((d) => typeof d['@type'] === 'string' && d['@type'].endsWith('google.rpc.RetryInfo'))?.retryDelay;
  const seconds = typeof delay === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(delay)?.[1] : undefined;
  if (seconds !== undefined) out.retryAfter = String(Math.ceil(Number(seconds)));
  return out;
}

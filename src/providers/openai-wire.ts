/**
 * The OpenAI wire shapes that translating adapters produce (protocols.md section 1): one definition
 * shared by the Anthropic, Gemini and Ollama adapters.
 */
export interface OpenAIToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface OpenAIUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details?: { cached_tokens: number; cache_write_tokens?: number };
  completion_tokens_details?: { reasoning_tokens: number };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; refusal: null; tool_calls?: OpenAIToolCall[]; reasoning_content?: string };
    logprobs: null;
    finish_reason: string;
  }>;
  usage?: OpenAIUsage;
}

/** The inner object of OpenAI's error envelope; also what an in-band stream error event carries. */
export interface OpenAIErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

/** OpenAI's error envelope: `{"error": {...}}`. */
export interface OpenAIErrorBody {
  error: OpenAIErrorObject;
}

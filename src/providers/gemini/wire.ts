/** Gemini's native wire format (the parts this adapter reads and writes). */

export interface GeminiFunctionCall {
  name: string;
  args?: Record<string, unknown>;
  id?: string;
}

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  thoughtSignature?: string;
  inlineData?: { mimeType: string; data: string };
  fileData?: { mimeType: string; fileUri: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: { name: string; response: Record<string, unknown>; id?: string };
}

export interface GeminiContent {
  role?: 'user' | 'model';
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface GeminiGenerationConfig {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxOutputTokens?: number;
  stopSequences?: string[];
  candidateCount?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  seed?: number;
  responseMimeType?: string;
  responseSchema?: Record<string, unknown>;
}

export interface GeminiRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: Array<{ functionDeclarations: GeminiFunctionDeclaration[] }>;
  toolConfig?: { functionCallingConfig: { mode: 'AUTO' | 'ANY' | 'NONE'; allowedFunctionNames?: string[] } };
  generationConfig?: GeminiGenerationConfig;
}

export interface GeminiCandidate {
  index?: number;
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  thoughtsTokenCount?: number;
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  error?: GoogleError;
}

/** Google's RPC error envelope body (`{"error": {...}}`). */
export interface GoogleError {
  code?: number;
  message?: string;
  status?: string;
  details?: Array<Record<string, unknown>>;
}

/**
 * OpenAI tool-call ids carry Gemini's `thoughtSignature` after this marker, so that it comes back on the
 * next turn (newer models reject function calls replayed without it). The same marker LiteLLM uses.
 */
export const THOUGHT_SIGNATURE_MARKER = '__thought__';

/** One text to embed, as `batchEmbedContents` takes it (each request names the model of the URL). */
export interface GeminiEmbedContentRequest {
  model: string;
  content: { parts: Array<{ text: string }> };
  outputDimensionality?: number;
}

/** `POST models/{model}:batchEmbedContents` body. */
export interface GeminiEmbedRequest {
  requests: GeminiEmbedContentRequest[];
}

/**
 * A model id as Gemini names it: `gemini-embedding-001` → `models/gemini-embedding-001`; `models/…` and
 * `tunedModels/…` names stay as they are.
 *
 * @example
 * geminiModelName('gemini-embedding-001');   // 'models/gemini-embedding-001'
 * geminiModelName('tunedModels/mine-1');     // 'tunedModels/mine-1'
 */
export function geminiModelName(model: string): string {
  return model.startsWith('models/') || model.startsWith('tunedModels/') ? model : `models/${model}`;
}

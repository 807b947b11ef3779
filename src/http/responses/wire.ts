/**
 * The OpenAI Responses wire shapes this front door reads and writes (the subset it translates through
 * chat completions), and the ids it mints. Field names are the API's own (`openai` SDK,
 * `resources/responses/responses.d.ts`; spec schemas `Response`, `ResponseStreamEvent`).
 */
import { randomHex } from '../../providers/random-hex.js';
import type { JsonObject } from '../../providers/translating/guards.js';

export type { JsonObject };

/** Where an item stands. */
export type ItemStatus = 'in_progress' | 'completed' | 'incomplete';

export interface InputText {
  type: 'input_text';
  text: string;
}

export interface InputImage {
  type: 'input_image';
  image_url?: string | null;
  file_id?: string | null;
  detail: 'low' | 'high' | 'auto' | 'original';
}

export interface InputFile {
  type: 'input_file';
  file_id?: string | null;
  file_data?: string;
  filename?: string;
}

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: unknown[];
}

export interface Refusal {
  type: 'refusal';
  refusal: string;
}

export type ContentPart = InputText | InputImage | InputFile | OutputText | Refusal;

export interface MessageItem {
  id: string;
  type: 'message';
  role: 'user' | 'system' | 'developer' | 'assistant';
  content: ContentPart[];
  status: ItemStatus;
}

export interface FunctionCallItem {
  id: string;
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
  status: ItemStatus;
}

export interface FunctionCallOutputItem {
  id: string;
  type: 'function_call_output';
  call_id: string;
  output: string | ContentPart[];
  status: ItemStatus;
}

/** A conversation item as this door keeps it: an input item, or an output item of an earlier response. */
export type Item = MessageItem | FunctionCallItem | FunctionCallOutputItem;

/** What a response outputs: an assistant message (output_text or refusal parts) and function calls. */
export type OutputItem = MessageItem | FunctionCallItem;

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed';

/** The Response object (`object: 'response'`). `output_text` is the SDK's convenience, not on the wire. */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  model: string;
  output: OutputItem[];
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number | null;
  text: { format: JsonObject; verbosity?: string };
  tool_choice: unknown;
  tools: JsonObject[];
  top_p: number | null;
  truncation: 'disabled' | 'auto';
  background: boolean;
  usage: ResponseUsage | null;
  user: string | null;
}

/** One event of a Responses stream: its `type`, its `sequence_number`, and its own fields. */
export type StreamEvent = { type: string; sequence_number: number } & JsonObject;

/** Mints an id with a prefix (`resp`, `msg`, `fc`, ...). */
export type IdMaker = (prefix: string) => string;

/**
 * A fresh id in OpenAI's style: the prefix, `_`, 48 hex digits.
 *
 * @example
 * newId('resp'); // 'resp_67cb71b351908190a308f3859487620d06981a8637e6bc44'
 */
export const newId: IdMaker = (prefix) => `${prefix}_${randomHex(24)}`;

/**
 * One server-sent event of a Responses stream: `event: <type>` and its JSON.
 *
 * @example
 * sseEvent({ type: 'response.output_text.delta', sequence_number: 3, delta: 'Hi' });
 * // 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta",...}\n\n'
 */
export function sseEvent(e: StreamEvent): string {
  return `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
}

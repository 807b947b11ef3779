/** The three wire protocols the simulated providers speak, as the real services write them. */
export type SimStyle = 'openai' | 'anthropic' | 'gemini';

/** One simulated answer, before it is put on the wire. */
export interface SimAnswer {
  id: string;
  model: string;
  /** The answer's text in the pieces a stream sends (words with their leading space). */
  pieces: string[];
  promptTokens: number;
  completionTokens: number;
}

/** An HTTP answer: status, content type and body text. */
export interface WireError {
  status: number;
  contentType: string;
  body: string;
}

const created = () => Math.floor(Date.now() / 1000);

/**
 * The whole (non-streamed) answer body in `style`'s format: an OpenAI chat completion, an Anthropic
 * message or a Gemini GenerateContentResponse, with usage.
 *
 * @example
 * answerBody('anthropic', { id: 'msg_1', model: 'claude-3-haiku', pieces: ['Hi'], promptTokens: 9, completionTokens: 1 });
 */
export function answerBody(style: SimStyle, a: SimAnswer): string {
  const text = a.pieces.join('');
  if (style === 'openai') {
    const usage = { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens };
    const choice = { index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' };
    return JSON.stringify({ id: a.id, object: 'chat.completion', created: created(), model: a.model, choices: [choice], usage });
  }
  if (style === 'anthropic') {
    const usage = { input_tokens: a.promptTokens, output_tokens: a.completionTokens };
    return JSON.stringify({ id: a.id, type: 'message', role: 'assistant', model: a.model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage });
  }
  return JSON.stringify(geminiEvent(a, [{ text }], true));
}

/**
 * The streamed answer as the SSE frames `style` sends, in order: OpenAI chunks ending in `[DONE]` (a usage
 * chunk when asked), Anthropic's named events from `message_start` to `message_stop`, Gemini's
 * CRLF-separated GenerateContentResponse events.
 *
 * @example
 * streamFrames('openai', answer, true); // ['data: {...role...}\n\n', 'data: {...content...}\n\n', ..., 'data: [DONE]\n\n']
 */
export function streamFrames(style: SimStyle, a: SimAnswer, includeUsage: boolean): string[] {
  if (style === 'openai') {
    const chunk = (delta: object, finish: string | null, extra: object = {}) =>
      `data: ${JSON.stringify({ id: a.id, object: 'chat.completion.chunk', created: created(), model: a.model, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], ...extra })}\n\n`;
    const usage = { prompt_tokens: a.promptTokens, completion_tokens: a.completionTokens, total_tokens: a.promptTokens + a.completionTokens };
    return [
      chunk({ role: 'assistant', content: '' }, null),
      ...a.pieces.map((p) => chunk({ content: p }, null)),
      chunk({}, 'stop'),
      ...(includeUsage ? [`data: ${JSON.stringify({ id: a.id, object: 'chat.completion.chunk', created: created(), model: a.model, choices: [], usage })}\n\n`] : []),
      'data: [DONE]\n\n',
    ];
  }
  if (style === 'anthropic') {
    const event = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    const message = { id: a.id, type: 'message', role: 'assistant', model: a.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: a.promptTokens, output_tokens: 1 } };
    return [
      event('message_start', { message }),
      event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...a.pieces.map((p) => event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: p } })),
      event('content_block_stop', { index: 0 }),
      event('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: a.completionTokens } }),
      event('message_stop', {}),
    ];
  }
  return a.pieces.map((p, i) => `data: ${JSON.stringify(geminiEvent(a, [{ text: p }], i === a.pieces.length - 1))}\r\n\r\n`);
}

function geminiEvent(a: SimAnswer, parts: Array<{ text: string }>, last: boolean) {
  const usage = last
    ? { promptTokenCount: a.promptTokens, candidatesTokenCount: a.completionTokens, totalTokenCount: a.promptTokens + a.completionTokens }
    : { promptTokenCount: a.promptTokens, totalTokenCount: a.promptTokens };
  return { candidates: [{ content: { role: 'model', parts }, ...(last ? { finishReason: 'STOP' } : {}), index: 0 }], usageMetadata: usage, modelVersion: a.model, responseId: a.id };
}

/**
 * The provider's own "overloaded" answer: Anthropic's 529 `overloaded_error`, OpenAI's 503 and Gemini's
 * 503 `UNAVAILABLE`, each in its error envelope and marked as simulated.
 *
 * @example
 * overloaded('anthropic').status; // 529
 */
export function overloaded(style: SimStyle): WireError {
  const message = 'Overloaded (SIMULATED incident of the switchyard demo)';
  if (style === 'anthropic') return { status: 529, contentType: 'application/json', body: JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message } }) };
  if (style === 'openai') return { status: 503, contentType: 'application/json', body: JSON.stringify({ error: { message, type: 'server_error', param: null, code: 'overloaded' } }) };
  return { status: 503, contentType: 'application/json; charset=UTF-8', body: JSON.stringify({ error: { code: 503, message, status: 'UNAVAILABLE' } }) };
}

/**
 * Stream recovery, the pure parts: what a chat stream has delivered to the client (text, and whether
 * any tool-call bytes went out), holding tool-call deltas back until their arguments are whole JSON,
 * and the request that asks the next candidate to continue from the delivered text.
 */
import { eventFields } from '../providers/sse-framer.js';
import type { Usage } from '../telemetry/usage.js';

/** What the next candidate is told, after the partial answer as the assistant's own message. */
export const CONTINUE_INSTRUCTION =
  'Your previous answer was cut off. Continue it exactly where it stopped: do not repeat anything already written, do not comment on the interruption, start with the very next characters.';

/**
 * The continuation request: the original messages, the delivered text as the assistant's partial
 * answer, and the instruction to continue without repeating. Nothing delivered: the request as it was
 * (the next candidate answers it whole).
 *
 * @example
 * continuationBody({ model: 'm', messages: [{ role: 'user', content: 'Count to 5' }] }, '1, 2, 3');
 * // messages: user 'Count to 5', assistant '1, 2, 3', user CONTINUE_INSTRUCTION
 */
export function continuationBody(body: Record<string, unknown>, delivered: string): Record<string, unknown> {
  if (delivered === '') return body;
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return { ...body, messages: [...messages, { role: 'assistant', content: delivered }, { role: 'user', content: CONTINUE_INSTRUCTION }] };
}

/**
 * The usage of a stream answered in two calls: the continuation's, plus what the cut call cost (its
 * prompt, and the delivered text at about 4 characters a token, since a cut stream reports none).
 *
 * @example
 * combinedUsage({ promptTokens: 40, completionTokens: 10 }, 30, 'a'.repeat(80)); // { promptTokens: 70, completionTokens: 30 }
 */
export function combinedUsage(continuation: Usage | undefined, firstPromptTokens: number, delivered: string): Usage | undefined {
  if (!continuation) return undefined;
  return { promptTokens: continuation.promptTokens + firstPromptTokens, completionTokens: continuation.completionTokens + Math.ceil(delivered.length / 4) };
}

/** One OpenAI chunk's choice 0, as far as recovery reads it. */
interface ChoiceView {
  content?: string;
  toolCalls: Array<{ index: number; arguments: string }>;
  finished: boolean;
}

function choiceOf(chunk: unknown): ChoiceView | undefined {
  const choices = (chunk as { choices?: unknown } | null)?.choices;
  if (!Array.isArray(choices)) return undefined;
  const c = choices.find((x: { index?: unknown } | null) => x && (x.index === undefined || x.index === 0)) as { delta?: Record<string, unknown>; finish_reason?: unknown } | undefined;
  if (!c) return undefined;
  const delta = c.delta ?? {};
  const calls = Array.isArray(delta.tool_calls) ? (delta.tool_calls as Array<{ index?: unknown; function?: { arguments?: unknown } }>) : [];
  return {
    ...(typeof delta.content === 'string' ? { content: delta.content } : {}),
    toolCalls: calls.map((t) => ({ index: typeof t.index === 'number' ? t.index : 0, arguments: typeof t.function?.arguments === 'string' ? t.function.arguments : '' })),
    finished: c.finish_reason !== undefined && c.finish_reason !== null,
  };
}

const isWholeJson = (text: string): boolean => {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
};

/** The parsed data of one SSE event, when it is JSON. */
export function eventChunk(event: Buffer): unknown {
  const { data } = eventFields(event, 0, event.length);
  if (data === undefined) return undefined;
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

const TOOL_CALLS = Buffer.from('"tool_calls"');

/**
 * Follows a chat stream event by event on its way to the client. Text goes out at once; from the
 * first tool-call delta on, events are held until every tool call's arguments are whole JSON (or the
 * choice finishes), so a cut never leaves half a tool call with the client. Cheap on the way: only
 * events that mention tool calls (and held ones) are parsed; the delivered text is read from the
 * sent events when a cut asks for it.
 *
 * @example
 * const t = new DeliveryTracker();
 * t.take(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":"Hel"}}]}\n\n')); // sent at once
 * t.take(Buffer.from('data: {"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]}\n\n')); // []: held
 * t.cut(); // 'continue': no tool-call byte went out; t.text is 'Hel'
 */
export class DeliveryTracker {
  /** Whether any tool-call delta reached the client. */
  toolBytesSent = false;
  private readonly sent: Buffer[] = [];
  private held: Array<{ bytes: Buffer; choice: ChoiceView | undefined }> = [];
  private readonly args = new Map<number, string>();

  /** The text the client has received (read from the events sent). */
  get text(): string {
    let text = '';
    for (const e of this.sent) text += choiceOf(eventChunk(e))?.content ?? '';
    return text;
  }

  /** One whole event: the events to send now, in order. */
  take(bytes: Buffer): Buffer[] {
    if (this.held.length === 0 && bytes.indexOf(TOOL_CALLS) < 0) {
      this.sent.push(bytes);
      return [bytes];
    }
    const choice = choiceOf(eventChunk(bytes));
    if (choice) for (const t of choice.toolCalls) this.args.set(t.index, (this.args.get(t.index) ?? '') + t.arguments);
    if (this.held.length === 0 && (!choice || choice.toolCalls.length === 0)) {
      this.sent.push(bytes);
      return [bytes];
    }
    this.held.push({ bytes, choice });
    const whole = [...this.args.values()].every(isWholeJson);
    return whole || choice?.finished ? this.flush() : [];
  }

  /** Everything held, released (the stream finished, or the held tool calls are whole). */
  flush(): Buffer[] {
    const out = this.held.map((h) => {
      if (h.choice && h.choice.toolCalls.length > 0) this.toolBytesSent = true;
      this.sent.push(h.bytes);
      return h.bytes;
    });
    this.held = [];
    return out;
  }

  /** The stream was cut: continue on another candidate, or fail (tool-call bytes went out: never spliced). */
  cut(): 'continue' | 'fail' {
    this.held = [];
    return this.toolBytesSent ? 'fail' : 'continue';
  }
}

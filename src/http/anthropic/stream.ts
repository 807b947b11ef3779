/**
 * OpenAI chat.completion.chunk SSE → Anthropic Messages events (protocols.md 3.6, 4.4). Pure: text in,
 * text out. One `message_start` at the first chunk; a text block opened at the first content, a
 * `tool_use` block at each new tool call (the open block closed first); `message_delta` (stop reason,
 * usage) and `message_stop` once the upstream's answer is whole; one `event: error` otherwise.
 */
import { type SseEvent, SseParser } from '../../providers/sse.js';
import { isObject, type JsonObject, parseJson } from '../../providers/translating/guards.js';
import { type AnthropicErrorType, errorTypeOfOpenAI, streamErrorEvent } from './errors.js';
import { type AnswerContext, matchedStop, messageId, messagesUsage, stopReason } from './response.js';

/**
 * How the upstream stream ended: whole, or failed (`message` says how, for the error event).
 *
 * @example
 * translator.end({ kind: 'failed', message: 'The upstream connection failed mid-stream.' });
 */
export type StreamFinish = { kind: 'complete' } | { kind: 'failed'; message: string };

const event = (data: { type: string } & JsonObject): string => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Per-stream state of the translation. Feed it the OpenAI events as they come (`push`, any split),
 * then how the stream ended (`end`); each returns the Anthropic events to send (possibly none).
 *
 * @example
 * const t = new MessagesStreamTranslator({ model: 'claude-x', stopSequences: [], requestId: 'req-1' });
 * t.push('data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}\n\n');
 * // 'event: message_start\n...' + 'event: content_block_start\n...' + 'event: content_block_delta\n... "text_delta","text":"Hi" ...'
 * t.end({ kind: 'complete' }); // content_block_stop, message_delta (end_turn, usage), message_stop
 */
export class MessagesStreamTranslator {
  private readonly parser = new SseParser();
  private id: string | undefined;
  /** The open content block: its index, and whether it is text or the tool call of that OpenAI index. */
  private block: { index: number; tool?: number } | undefined;
  private nextIndex = 0;
  private readonly toolBlocks = new Map<number, number>();
  private finish: unknown;
  private matched: unknown;
  private usage: unknown;
  private refused = false;
  private over = false;
  private errorSent = false;

  constructor(private readonly ctx: AnswerContext) {}

  /** OpenAI SSE text in (whole events or not), Anthropic SSE text out. */
  push(text: string): string {
    let out = '';
    for (const ev of this.parser.push(text)) {
      if (this.over) break;
      out += this.onEvent(ev);
    }
    return out;
  }

  /** The upstream stream ended: the closing events, or one error event (none if one was sent already). */
  end(how: StreamFinish): string {
    if (this.over) return '';
    this.over = true;
    if (how.kind === 'failed') return this.fail('api_error', how.message);
    const hasTools = this.toolBlocks.size > 0;
    const stop = stopReason(this.refused && !hasTools ? 'content_filter' : this.finish, this.matched, this.ctx.stopSequences, hasTools);
    const u = messagesUsage(this.usage);
    const usage = this.usage === undefined ? { output_tokens: 0 } : u;
    return this.start(undefined) + this.closeBlock() + event({ type: 'message_delta', delta: stop, usage }) + event({ type: 'message_stop' });
  }

  /** Whether the stream already told the client it failed (an upstream error event was translated). */
  get failed(): boolean {
    return this.errorSent;
  }

  private onEvent(ev: SseEvent): string {
    if (ev.data.trim() === '[DONE]') return '';
    const chunk = parseJson(ev.data);
    if (!isObject(chunk)) return ''; // not an OpenAI chunk: nothing Anthropic's protocol can say of it
    if (chunk.error !== undefined && chunk.error !== null) {
      const e = chunk.error;
      const message = isObject(e) && typeof e.message === 'string' ? e.message : typeof e === 'string' ? e : 'The provider reported an error mid-stream.';
      this.over = true;
      return this.fail(errorTypeOfOpenAI(e), message);
    }
    let out = this.start(chunk.id);
    if (isObject(chunk.usage)) this.usage = chunk.usage;
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice = choices.find((c) => isObject(c) && (c.index === undefined || c.index === 0));
    if (!isObject(choice)) return out;
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string' && delta.content !== '') out += this.text(delta.content);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') {
      this.refused = true;
      out += this.text(delta.refusal);
    }
    if (Array.isArray(delta.tool_calls)) for (const call of delta.tool_calls) if (isObject(call)) out += this.toolCall(call);
    if (choice.finish_reason !== undefined && choice.finish_reason !== null) {
      this.finish = choice.finish_reason;
      this.matched = matchedStop(choice);
    }
    return out;
  }

  /** `message_start`, once, at the first chunk (its id names the message). */
  private start(chunkId: unknown): string {
    if (this.id !== undefined) return '';
    this.id = messageId(chunkId, this.ctx.requestId);
    const message = { id: this.id, type: 'message', role: 'assistant', model: this.ctx.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 0, output_tokens: 0 } };
    return event({ type: 'message_start', message });
  }

  private text(text: string): string {
    let out = '';
    if (!this.block || this.block.tool !== undefined) out += this.open({ type: 'text', text: '' });
    return out + event({ type: 'content_block_delta', index: this.block!.index, delta: { type: 'text_delta', text } });
  }

  /**
   * A tool call's delta: a new OpenAI index opens a `tool_use` block; argument fragments go to the
   * call's block as they are (never parsed). Fragments of a call whose block was closed (providers
   * interleaving calls, which OpenAI does not) still go to that block's index.
   */
  private toolCall(call: JsonObject): string {
    const n = typeof call.index === 'number' ? call.index : 0;
    const fn = isObject(call.function) ? call.function : {};
    let out = '';
    let index = this.toolBlocks.get(n);
    if (index === undefined) {
      const id = typeof call.id === 'string' && call.id !== '' ? call.id : `toolu_${this.id ?? this.ctx.requestId}_${n}`;
      out += this.open({ type: 'tool_use', id, name: typeof fn.name === 'string' ? fn.name : '', input: {} }, n);
      index = this.block!.index;
      this.toolBlocks.set(n, index);
    }
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      out += event({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: fn.arguments } });
    }
    return out;
  }

  private open(contentBlock: JsonObject, tool?: number): string {
    const out = this.closeBlock();
    this.block = { index: this.nextIndex++, ...(tool !== undefined ? { tool } : {}) };
    return out + event({ type: 'content_block_start', index: this.block.index, content_block: contentBlock });
  }

  private closeBlock(): string {
    if (!this.block) return '';
    const index = this.block.index;
    this.block = undefined;
    return event({ type: 'content_block_stop', index });
  }

  private fail(type: AnthropicErrorType, message: string): string {
    if (this.errorSent) return '';
    this.errorSent = true;
    return streamErrorEvent(type, message);
  }
}

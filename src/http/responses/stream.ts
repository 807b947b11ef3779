/**
 * A chat completions event stream as a Responses event stream. Pure: chat SSE bytes in, Responses SSE
 * text out, with `sequence_number`s. Every stream it writes begins with `response.created` and
 * `response.in_progress` and ends with exactly one of `response.completed`, `response.incomplete` or
 * `response.failed`.
 */
import { StringDecoder } from 'node:string_decoder';
import { SseParser } from '../../providers/sse.js';
import { isObject, parseJson } from '../../providers/translating/guards.js';
import { functionCall, message } from './items.js';
import { finishStatus, responsesUsage } from './response.js';
import { type FunctionCallItem, type IdMaker, type JsonObject, type MessageItem, type OutputItem, type ResponseObject, type ResponseUsage, sseEvent } from './wire.js';

/** How the chat stream ended: whole, or broken (a cut, an error event) with what to tell the caller. */
export type StreamFinish = { kind: 'complete' } | { kind: 'failed'; message: string };

type PartKind = 'output_text' | 'refusal';

interface OpenMessage {
  item: MessageItem;
  index: number;
  part?: { kind: PartKind; index: number; value: string };
}

interface OpenCall {
  item: FunctionCallItem;
  index: number;
}

/**
 * Translates one chat stream. Feed it the chat SSE bytes as they come (`push`: whole events, one or
 * more) and write what each call returns; `start` before the first, `end` once.
 *
 * @example
 * const t = new ResponsesStream(responseSkeleton(model, echo, newId('resp'), now), newId, nowSeconds);
 * res.write(t.start());
 * res.write(t.push(chatBytes));
 * res.end(t.end({ kind: 'complete' })); // ... response.completed
 */
export class ResponsesStream {
  private seq = 0;
  private readonly parser = new SseParser();
  private readonly decoder = new StringDecoder('utf8');
  private readonly output: OutputItem[] = [];
  private readonly calls = new Map<number, OpenCall>();
  private message: OpenMessage | undefined;
  private finishReason: unknown;
  private usage: ResponseUsage | null = null;
  /** An error event the upstream sent: the stream failed with this message. */
  private failure: string | undefined;
  private final: ResponseObject | undefined;

  constructor(
    private readonly base: ResponseObject,
    private readonly ids: IdMaker,
    private readonly nowSeconds: () => number,
  ) {}

  /** The response as it ended (undefined until `end`). */
  get response(): ResponseObject | undefined {
    return this.final;
  }

  /** `response.created` and `response.in_progress`. */
  start(): string {
    return this.event('response.created', { response: this.base }) + this.event('response.in_progress', { response: this.base });
  }

  /** The Responses events for these chat SSE bytes ('' when there are none). */
  push(bytes: Buffer | string): string {
    if (this.final || this.failure !== undefined) return '';
    let out = '';
    const text = typeof bytes === 'string' ? bytes : this.decoder.write(bytes);
    for (const e of this.parser.push(text)) {
      if (e.data.trim() === '[DONE]') continue;
      const chunk = parseJson(e.data);
      if (isObject(chunk)) out += this.chunk(chunk);
      if (this.failure !== undefined) break;
    }
    return out;
  }

  /** Closes what is open and writes the terminal event: completed (or incomplete), or failed. */
  end(finish: StreamFinish): string {
    if (this.final) return '';
    const failed = this.failure ?? (finish.kind === 'failed' ? finish.message : undefined);
    if (failed !== undefined) {
      for (const item of this.output) if (item.status === 'in_progress') item.status = 'incomplete';
      this.final = Object.assign({}, this.base, { status: 'failed', error: { code: 'server_error', message: failed }, output: this.output, usage: this.usage });
      return this.event('response.failed', { response: this.final });
    }
    let out = this.closeMessage();
    for (const c of this.calls.values()) out += this.closeCall(c);
    const status = finishStatus(this.finishReason);
    this.final = Object.assign({}, this.base, status, { completed_at: this.nowSeconds(), output: this.output, usage: this.usage });
    return out + this.event(status.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: this.final });
  }

  private chunk(chunk: JsonObject): string {
    if (chunk.error !== undefined && chunk.error !== null) {
      const e = chunk.error;
      this.failure = typeof e === 'string' ? e : isObject(e) && typeof e.message === 'string' ? e.message : 'The provider reported an error mid-stream.';
      return '';
    }
    if (isObject(chunk.usage)) this.usage = responsesUsage(chunk.usage);
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    const choice: unknown = choices.find((c) => isObject(c) && (c.index ?? 0) === 0);
    if (!isObject(choice)) return '';
    let out = '';
    const delta = isObject(choice.delta) ? choice.delta : {};
    if (typeof delta.content === 'string' && delta.content !== '') out += this.textDelta('output_text', delta.content);
    if (typeof delta.refusal === 'string' && delta.refusal !== '') out += this.textDelta('refusal', delta.refusal);
    if (Array.isArray(delta.tool_calls)) for (const [i, call] of delta.tool_calls.entries()) if (isObject(call)) out += this.callDelta(call, i);
    if (choice.finish_reason !== undefined && choice.finish_reason !== null) this.finishReason = choice.finish_reason;
    return out;
  }

  private textDelta(kind: PartKind, delta: string): string {
    let out = '';
    if (!this.message) {
      const item = message(this.ids('msg'), 'assistant', []);
      item.status = 'in_progress';
      this.message = { item, index: this.output.push(item) - 1 };
      out += this.event('response.output_item.added', { output_index: this.message.index, item });
    }
    const m = this.message;
    if (m.part && m.part.kind !== kind) out += this.closePart(m);
    if (!m.part) {
      m.part = { kind, index: m.item.content.length, value: '' };
      const part = partOf(kind, '');
      m.item.content.push(part);
      out += this.event('response.content_part.added', { item_id: m.item.id, output_index: m.index, content_index: m.part.index, part });
    }
    m.part.value += delta;
    // Each event's fields written out: a literal that starts with a spread and goes on is slow on Node 20.
    const item_id = m.item.id;
    const output_index = m.index;
    const content_index = m.part.index;
    return (
      out +
      (kind === 'output_text'
        ? this.event('response.output_text.delta', { item_id, output_index, content_index, delta, logprobs: [] })
        : this.event('response.refusal.delta', { item_id, output_index, content_index, delta }))
    );
  }

  private closePart(m: OpenMessage): string {
    const p = m.part;
    if (!p) return '';
    m.part = undefined;
    const part = partOf(p.kind, p.value);
    m.item.content[p.index] = part;
    const item_id = m.item.id;
    const output_index = m.index;
    const content_index = p.index;
    const done =
      p.kind === 'output_text'
        ? this.event('response.output_text.done', { item_id, output_index, content_index, text: p.value, logprobs: [] })
        : this.event('response.refusal.done', { item_id, output_index, content_index, refusal: p.value });
    return done + this.event('response.content_part.done', { item_id, output_index, content_index, part });
  }

  private closeMessage(): string {
    const m = this.message;
    if (!m) return '';
    this.message = undefined;
    const out = this.closePart(m);
    m.item.status = 'completed';
    return out + this.event('response.output_item.done', { output_index: m.index, item: m.item });
  }

  /** A tool call's piece: the first one (with its id and name) opens a function_call item. */
  private callDelta(call: JsonObject, position: number): string {
    const at = typeof call.index === 'number' ? call.index : position;
    const fn = isObject(call.function) ? call.function : {};
    let out = '';
    let c = this.calls.get(at);
    if (!c) {
      out += this.closeMessage(); // text before a call is finished; text after it opens a new message
      const item = functionCall(this.ids('fc'), typeof call.id === 'string' ? call.id : this.ids('call'), typeof fn.name === 'string' ? fn.name : '', '', 'in_progress');
      c = { item, index: this.output.push(item) - 1 };
      this.calls.set(at, c);
      out += this.event('response.output_item.added', { output_index: c.index, item });
    } else if (typeof fn.name === 'string' && c.item.name === '') c.item.name = fn.name;
    if (typeof fn.arguments === 'string' && fn.arguments !== '') {
      c.item.arguments += fn.arguments;
      out += this.event('response.function_call_arguments.delta', { item_id: c.item.id, output_index: c.index, delta: fn.arguments });
    }
    return out;
  }

  private closeCall(c: OpenCall): string {
    c.item.status = 'completed';
    return (
      this.event('response.function_call_arguments.done', { item_id: c.item.id, output_index: c.index, name: c.item.name, arguments: c.item.arguments }) +
      this.event('response.output_item.done', { output_index: c.index, item: c.item })
    );
  }

  private event(type: string, fields: JsonObject): string {
    return sseEvent({ type, sequence_number: this.seq++, ...fields });
  }
}

function partOf(kind: PartKind, value: string): MessageItem['content'][number] {
  return kind === 'output_text' ? { type: 'output_text', text: value, annotations: [] } : { type: 'refusal', refusal: value };
}

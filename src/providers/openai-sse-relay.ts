import { readUsage, type Usage } from '../telemetry/usage.js';

/** Where a relayed stream stands. */
export type RelayState =
  /** Still streaming. */
  | 'open'
  /** `data: [DONE]` went out: the answer is whole. */
  | 'done'
  /** An error event went out (redacted): the answer is over, and it failed. */
  | 'failed';

export interface RelayOptions {
  /** Choices the answer has (`n`): a stream is whole once each carried a `finish_reason`. */
  choices: number;
  /** Removes secrets from text about to be forwarded (error events only: they echo requests). */
  redact(text: string): string;
}

const LF = 0x0a;
const CR = 0x0d;
const DONE = Buffer.from('data: [DONE]\n\n');
const ERROR_KEY = Buffer.from('"error"');
const FINISH_KEY = Buffer.from('"finish_reason"');
const USAGE_KEY = Buffer.from('"usage"');

/**
 * Frames an OpenAI server-sent-event stream into whole events, whatever the chunking of its bytes,
 * and forwards each event's own bytes (no re-encoding) while reading just enough of it to know:
 * whether the first event is a valid one (else the provider failed before the client saw a byte),
 * when the answer is whole (`[DONE]`, or every choice finished), the usage chunk, and error events,
 * which are forwarded with secrets removed and end the answer. Named events other than `message`
 * (`event: done`, ...) are not OpenAI data and are dropped. Pure: bytes in, bytes out.
 *
 * @example
 * const relay = new OpenAISseRelay({ choices: 1, redact: (t) => t });
 * const out = relay.push(Buffer.from('data: {"choices":[]}\n\ndata: [DO')); // the first event's bytes
 * relay.push(Buffer.from('NE]\n\n')); relay.state; // 'done'
 */
export class OpenAISseRelay {
  state: RelayState = 'open';
  /** Data events forwarded so far. */
  events = 0;
  /** Why the stream failed, when it did: the upstream's message (redacted) or what was wrong. */
  failure: string | undefined;
  /** Whether the failure is that the stream itself was broken (not an error event the upstream sent). */
  malformed = false;
  usage: Usage | undefined;
  private pending: Buffer | undefined;
  private readonly finished = new Set<number>();

  constructor(private readonly o: RelayOptions) {}

  /** Whether the first event has been seen, so the stream can be judged. */
  get judged(): boolean {
    return this.events > 0 || this.state !== 'open';
  }

  /** Takes the next bytes; returns the whole events among them to forward (none: undefined). */
  push(chunk: Buffer): Buffer | undefined {
    if (this.state !== 'open') return undefined;
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const out: Buffer[] = [];
    // A run of events forwarded as they are is sent as one slice of the input.
    let runStart = 0;
    let eventStart = 0;
    let lineStart = 0;
    let nl: number;
    while (this.state === 'open' && (nl = buf.indexOf(LF, lineStart)) >= 0) {
      const blank = nl === lineStart || (nl === lineStart + 1 && buf[lineStart] === CR);
      lineStart = nl + 1;
      if (!blank) continue;
      const verdict = this.event(buf, eventStart, nl + 1);
      if (verdict !== undefined) {
        if (eventStart > runStart) out.push(buf.subarray(runStart, eventStart));
        if (verdict.length > 0) out.push(verdict);
        runStart = nl + 1;
      }
      eventStart = nl + 1;
    }
    if (eventStart > runStart) out.push(buf.subarray(runStart, eventStart));
    if (this.state === 'open' && eventStart < buf.length) this.pending = Buffer.from(buf.subarray(eventStart));
    return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /**
   * The upstream ended. A last event without its blank line is still taken; then the stream is whole
   * when `[DONE]` came or every choice finished (`[DONE]` is added for the client). Returns the bytes
   * still to forward and whether the answer is whole.
   */
  end(): { complete: boolean; out: Buffer | undefined } {
    let out: Buffer | undefined;
    if (this.state === 'open' && this.pending) {
      const last = this.pending;
      this.pending = undefined;
      out = this.push(Buffer.concat([last, Buffer.from('\n\n')]));
    }
    if (this.state === 'done') return { complete: true, out };
    if (this.state === 'open' && this.events > 0 && this.finished.size >= this.o.choices) {
      this.state = 'done';
      return { complete: true, out: out ? Buffer.concat([out, DONE]) : DONE };
    }
    return { complete: false, out };
  }

  /**
   * One whole event, `buf[start, end)`. Returns undefined to forward its bytes as they are, or the
   * bytes to send instead (empty: drop it).
   */
  private event(buf: Buffer, start: number, end: number): Buffer | undefined {
    let name: string | undefined;
    let dataStart = -1;
    let dataEnd = -1;
    let extraData: string[] | undefined;
    for (let at = start; at < end; ) {
      let nl = buf.indexOf(LF, at);
      if (nl < 0 || nl >= end) nl = end;
      const lineEnd = nl > at && buf[nl - 1] === CR ? nl - 1 : nl;
      if (lineEnd > at) {
        const field = fieldOf(buf, at, lineEnd);
        if (field.name === 'data') {
          if (dataStart < 0) [dataStart, dataEnd] = [field.value, lineEnd];
          else (extraData ??= []).push(buf.toString('utf8', field.value, lineEnd));
        } else if (field.name === 'event') name = buf.toString('utf8', field.value, lineEnd);
      }
      at = nl + 1;
    }
    if (name !== undefined && name !== 'message' && name !== 'error') return EMPTY; // not OpenAI data
    if (dataStart < 0) return name === 'error' ? this.fail('the stream sent an error event without data', true) : undefined;
    let data: Buffer | string = buf.subarray(dataStart, dataEnd);
    if (extraData) data = [data.toString('utf8'), ...extraData].join('\n');
    const text = typeof data === 'string' ? data : undefined;
    if (isDone(data)) {
      if (this.events === 0) return this.fail('the stream ended before any data', true);
      this.state = 'done';
      return name === undefined && !extraData ? undefined : DONE;
    }
    let parsed: unknown;
    const needs = name === 'error' || this.events === 0 || has(data, ERROR_KEY) || valueFollows(data, FINISH_KEY) || valueFollows(data, USAGE_KEY);
    if (needs) {
      try {
        parsed = JSON.parse(text ?? (data as Buffer).toString('utf8'));
      } catch {
        // Only the first event is held to being JSON: later ones go as they are (the client judges).
        if (this.events === 0 || name === 'error') return this.fail('the stream sent an event that is not JSON', true);
      }
      if (name === 'error' || isErrorEvent(parsed)) return this.errorEvent(text ?? (data as Buffer).toString('utf8'), parsed);
      if (this.events === 0 && (parsed === null || typeof parsed !== 'object')) return this.fail('the stream sent an event that is not a JSON object', true);
      this.read(parsed);
    }
    this.events += 1;
    return name === undefined && !extraData ? undefined : Buffer.from(`data: ${text ?? (data as Buffer).toString('utf8')}\n\n`);
  }

  /** Notes finished choices and usage from a parsed chunk. */
  private read(chunk: unknown): void {
    const choices = (chunk as { choices?: unknown }).choices;
    if (Array.isArray(choices)) {
      for (const c of choices as Array<{ index?: unknown; finish_reason?: unknown }>) {
        if (c && c.finish_reason !== null && c.finish_reason !== undefined) this.finished.add(typeof c.index === 'number' ? c.index : 0);
      }
    }
    const usage = readUsage(chunk);
    if (usage) this.usage = usage;
  }

  private errorEvent(text: string, parsed: unknown): Buffer {
    const e = (parsed as { error?: unknown } | undefined)?.error;
    const message = typeof e === 'string' ? e : typeof (e as { message?: unknown })?.message === 'string' ? (e as { message: string }).message : 'the provider reported an error mid-stream';
    this.fail(this.o.redact(message), false);
    return Buffer.from(`data: ${this.o.redact(text)}\n\n`);
  }

  private fail(why: string, malformed: boolean): Buffer {
    this.state = 'failed';
    this.failure = why;
    this.malformed = malformed;
    return EMPTY;
  }
}

const EMPTY = Buffer.alloc(0);

/** A line's field name and where its value starts (after `:` and one optional space). */
function fieldOf(buf: Buffer, start: number, end: number): { name: string; value: number } {
  const colon = buf.indexOf(0x3a, start);
  if (colon < 0 || colon >= end) return { name: buf.toString('latin1', start, end), value: end };
  if (colon === start) return { name: '', value: end }; // a comment
  const value = colon + 1 < end && buf[colon + 1] === 0x20 ? colon + 2 : colon + 1;
  return { name: buf.toString('latin1', start, colon), value };
}

function isDone(data: Buffer | string): boolean {
  const s = typeof data === 'string' ? data : data.length <= 10 ? data.toString('latin1') : '';
  return s.trim() === '[DONE]';
}

function has(data: Buffer | string, key: Buffer): boolean {
  return typeof data === 'string' ? data.includes(key.toString('latin1')) : data.indexOf(key) >= 0;
}

/** Whether `key` occurs with a value other than null after it (a cheap look before parsing). */
function valueFollows(data: Buffer | string, key: Buffer): boolean {
  const b = typeof data === 'string' ? Buffer.from(data) : data;
  let at = b.indexOf(key);
  while (at >= 0) {
    let i = at + key.length;
    while (i < b.length && (b[i] === 0x20 || b[i] === 0x3a || b[i] === 0x09)) i++;
    if (i < b.length && b[i] !== 0x6e /* n(ull) */) return true;
    at = b.indexOf(key, i);
  }
  return false;
}

function isErrorEvent(parsed: unknown): boolean {
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'error' in parsed && (parsed as { error: unknown }).error != null;
}

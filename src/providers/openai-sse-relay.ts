import { readUsage } from '../telemetry/usage.js';
import { eventFields, FramedRelay, loneDataValue } from './sse-framer.js';

export interface RelayOptions {
  /** Choices the answer has (`n`): a stream is whole once each carried a `finish_reason`. */
  choices: number;
  /** Removes secrets from text about to be forwarded (error events only: they echo requests). */
  redact(text: string): string;
}

const DONE = Buffer.from('data: [DONE]\n\n');
const ERROR_KEY = '"error"';
const FINISH_KEY = '"finish_reason"';
const USAGE_KEY = '"usage"';

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
export class OpenAISseRelay extends FramedRelay {
  private readonly finished = new Set<number>();

  constructor(private readonly o: RelayOptions) {
    super();
  }

  /**
   * The upstream ended. A last event without its blank line is still taken; then the stream is whole
   * when `[DONE]` came or every choice finished (`[DONE]` is added for the client). Returns the bytes
   * still to forward and whether the answer is whole.
   */
  override end(): { complete: boolean; out: Buffer | undefined } {
    const { complete, out } = super.end();
    if (complete) return { complete, out };
    if (this.state === 'open' && this.events > 0 && this.finished.size >= this.o.choices) {
      this.state = 'done';
      return { complete: true, out: out ? Buffer.concat([out, DONE]) : DONE };
    }
    return { complete: false, out };
  }

  /** One whole event: undefined forwards its bytes as they are, a Buffer replaces them (empty: drop). */
  protected readonly judge = (buf: Buffer, start: number, end: number): Buffer | undefined => {
    // Nearly every event after the first: one `data: {...}` line saying nothing the relay reads. It is
    // told by its bytes alone (no string, no object), and forwarded as it is.
    if (this.events > 0 && isQuietChunk(buf, start, end)) {
      this.events += 1;
      return undefined;
    }
    const { name, data, plain } = eventFields(buf, start, end);
    if (name !== undefined && name !== 'message' && name !== 'error') return EMPTY; // not OpenAI data
    if (data === undefined) return name === 'error' ? this.fail('the stream sent an error event without data', true) : undefined;
    const text = typeof data === 'string' ? data : undefined;
    if (isDone(data)) {
      if (this.events === 0) return this.fail('the stream ended before any data', true);
      this.state = 'done';
      return plain ? undefined : DONE;
    }
    // One latin1 view of the bytes for the three looks (the keys are ASCII): one copy, no call per look.
    const view = text ?? (data as Buffer).toString('latin1');
    const needs = name === 'error' || this.events === 0 || view.includes(ERROR_KEY) || valueFollows(view, FINISH_KEY) || valueFollows(view, USAGE_KEY);
    if (needs) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text ?? (data as Buffer).toString('utf8'));
      } catch {
        // Only the first event is held to being JSON: later ones go as they are (the client judges).
        if (this.events === 0 || name === 'error') return this.fail('the stream sent an event that is not JSON', true);
      }
      if (name === 'error' || isErrorEvent(parsed)) return this.errorEvent(text ?? (data as Buffer).toString('utf8'), parsed);
      if (this.events === 0 && (parsed === null || typeof parsed !== 'object')) return this.fail('the stream sent an event that is not a JSON object', true);
      if (parsed !== undefined) this.read(parsed);
    }
    this.events += 1;
    return plain ? undefined : Buffer.from(`data: ${text ?? (data as Buffer).toString('utf8')}\n\n`);
  };

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
}

const EMPTY = Buffer.alloc(0);

const QUOTE = 0x22;
const CR = 0x0d;
const ERROR_BYTES = Buffer.from(ERROR_KEY);
const FINISH_BYTES = Buffer.from(FINISH_KEY);
const USAGE_BYTES = Buffer.from(USAGE_KEY);

/**
 * Whether `buf[start, end)` is `data: {...}\n\n` (one line, `\n` endings) whose JSON names no error
 * and has no finish_reason or usage with a value: the event the relay forwards without a look inside.
 * Errs towards "no" (the full reading then decides): a key or value `"error"` at any depth counts.
 */
export function isQuietChunk(buf: Buffer, start: number, end: number): boolean {
  const from = loneDataValue(buf, start, end);
  if (from < 0 || buf[from] !== 0x7b /* { */) return false;
  const to = end - 2; // the line's own \n
  for (let i = from; i < to; i++) {
    const c = buf[i];
    if (c === CR) return false; // a lone CR ends a line too
    if (c !== QUOTE) continue;
    const next = buf[i + 1];
    if (next === 0x65 /* e */ && startsWith(buf, i, ERROR_BYTES)) return false;
    if (next === 0x66 /* f */ && startsWith(buf, i, FINISH_BYTES) && !nullFollows(buf, i + FINISH_BYTES.length, to)) return false;
    if (next === 0x75 /* u */ && startsWith(buf, i, USAGE_BYTES) && !nullFollows(buf, i + USAGE_BYTES.length, to)) return false;
  }
  return true;
}

function startsWith(buf: Buffer, at: number, key: Buffer): boolean {
  for (let k = 0; k < key.length; k++) if (buf[at + k] !== key[k]) return false;
  return true;
}

/** Whether the value after a key ending at `at` is null (spaces and the colon skipped), as `valueFollows` reads it. */
function nullFollows(buf: Buffer, at: number, to: number): boolean {
  let i = at;
  while (i < to && (buf[i] === 0x20 || buf[i] === 0x3a || buf[i] === 0x09)) i++;
  return i >= to || buf[i] === 0x6e /* n(ull) */;
}

function isDone(data: Buffer | string): boolean {
  const s = typeof data === 'string' ? data : data.length <= 10 ? data.toString('latin1') : '';
  return s.trim() === '[DONE]';
}

/** Whether `key` occurs in `view` with a value other than null after it (a cheap look before parsing). */
function valueFollows(view: string, key: string): boolean {
  let at = view.indexOf(key);
  while (at >= 0) {
    let i = at + key.length;
    let c = view.charCodeAt(i);
    while (c === 0x20 || c === 0x3a || c === 0x09) c = view.charCodeAt(++i);
    if (i < view.length && c !== 0x6e /* n(ull) */) return true;
    at = view.indexOf(key, i);
  }
  return false;
}

function isErrorEvent(parsed: unknown): boolean {
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'error' in parsed && (parsed as { error: unknown }).error != null;
}

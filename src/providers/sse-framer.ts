import type { Usage } from '../telemetry/usage.js';

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;

/** What to do with one whole event: undefined forwards its bytes as they are; a Buffer replaces them (empty: drop). */
export type EventVerdict = Buffer | undefined;

/** Judges the event `buf[start, end)` (its blank line included). */
export type EventJudge = (buf: Buffer, start: number, end: number) => EventVerdict;

/**
 * Frames server-sent-event bytes into whole events, whatever their chunking (`\n` or `\r\n` lines),
 * without decoding them: each event is handed to a judge as a range of the bytes, and runs of events
 * forwarded as they are come back as one slice of the input. A partial event waits for its end.
 *
 * @example
 * const framer = new SseFramer();
 * framer.push(Buffer.from('data: 1\n\ndata: 2'), () => undefined, () => true); // 'data: 1\n\n'
 * framer.flush(() => undefined, () => true);                                   // 'data: 2\n\n'
 */
export class SseFramer {
  private pending: Buffer | undefined;

  /** The forwarded bytes of the whole events in `chunk` (and what was pending); `open` false stops framing. */
  push(chunk: Buffer, judge: EventJudge, open: () => boolean): Buffer | undefined {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    const out: Buffer[] = [];
    let runStart = 0;
    let eventStart = 0;
    let lineStart = 0;
    let nl = buf.indexOf(LF, lineStart);
    while (open() && nl >= 0) {
      const blank = nl === lineStart || (nl === lineStart + 1 && buf[lineStart] === CR);
      lineStart = nl + 1;
      if (blank) {
        const verdict = judge(buf, eventStart, nl + 1);
        if (verdict !== undefined) {
          if (eventStart > runStart) out.push(buf.subarray(runStart, eventStart));
          if (verdict.length > 0) out.push(verdict);
          runStart = nl + 1;
        }
        eventStart = nl + 1;
      }
      // A chunk usually ends with its last event: no search past the end.
      nl = lineStart < buf.length ? buf.indexOf(LF, lineStart) : -1;
    }
    // The usual chunk (whole events, all forwarded as they are) goes on as the very buffer it came in.
    if (runStart === 0 && eventStart === buf.length && out.length === 0) return buf.length > 0 ? buf : undefined;
    if (eventStart > runStart) out.push(buf.subarray(runStart, eventStart));
    if (open() && eventStart < buf.length) this.pending = Buffer.from(buf.subarray(eventStart));
    return out.length === 0 ? undefined : out.length === 1 ? out[0] : Buffer.concat(out);
  }

  /** At the end of the stream: a last event without its blank line is still taken. */
  flush(judge: EventJudge, open: () => boolean): Buffer | undefined {
    if (!this.pending || !open()) return undefined;
    const last = this.pending;
    this.pending = undefined;
    return this.push(Buffer.concat([last, Buffer.from('\n\n')]), judge, open);
  }
}

/** The fields of one event that matter here: its name and its data (several data lines joined by `\n`). */
export interface EventFields {
  name: string | undefined;
  /** The data as the bytes it is (one data line), or joined text (several); undefined when it has none. */
  data: Buffer | string | undefined;
  /** Whether the event's bytes are exactly one data line (nothing to rewrite to forward it as plain data). */
  plain: boolean;
}

/** Reads the `event:` and `data:` fields of `buf[start, end)`; comments and other fields are skipped. */
export function eventFields(buf: Buffer, start: number, end: number): EventFields {
  const only = oneDataLine(buf, start, end);
  if (only) return { name: undefined, data: only, plain: true };
  let name: string | undefined;
  let data: Buffer | undefined;
  let extra: string[] | undefined;
  for (let at = start; at < end; ) {
    let nl = buf.indexOf(LF, at);
    if (nl < 0 || nl >= end) nl = end;
    const lineEnd = nl > at && buf[nl - 1] === CR ? nl - 1 : nl;
    if (lineEnd > at && buf[at] !== COLON) {
      let colon = buf.indexOf(COLON, at);
      if (colon < 0 || colon >= lineEnd) colon = lineEnd;
      const field = buf.toString('latin1', at, colon);
      const value = colon + 1 < lineEnd && buf[colon + 1] === SPACE ? colon + 2 : Math.min(colon + 1, lineEnd);
      if (field === 'data') {
        if (data === undefined) data = buf.subarray(value, lineEnd);
        else (extra ??= []).push(buf.toString('utf8', value, lineEnd));
      } else if (field === 'event') name = buf.toString('utf8', value, lineEnd);
    }
    at = nl + 1;
  }
  const joined = data !== undefined && extra ? [data.toString('utf8'), ...extra].join('\n') : data;
  return { name, data: joined, plain: name === undefined && extra === undefined };
}

/**
 * Where the value starts of the event nearly every stream sends, `data: <value>\n\n` (one line, `\n`
 * endings), the value ending at `end - 2`; -1 for any other shape (the general reading takes it). One
 * search, no copy.
 *
 * @example
 * const b = Buffer.from('data: {"a":1}\n\n');
 * loneDataValue(b, 0, b.length); // 6
 */
export function loneDataValue(buf: Buffer, start: number, end: number): number {
  if (end - start < 7 || buf[end - 1] !== LF || buf[end - 2] !== LF) return -1;
  // d a t a :
  if (buf[start] !== 0x64 || buf[start + 1] !== 0x61 || buf[start + 2] !== 0x74 || buf[start + 3] !== 0x61 || buf[start + 4] !== COLON) return -1;
  const nl = buf.indexOf(LF, start + 5);
  if (nl !== end - 2 || buf[nl - 1] === CR) return -1;
  return buf[start + 5] === SPACE ? start + 6 : start + 5;
}

/** The data of a lone `data:` line event as the bytes it is (see `loneDataValue`). */
function oneDataLine(buf: Buffer, start: number, end: number): Buffer | undefined {
  const at = loneDataValue(buf, start, end);
  return at < 0 ? undefined : buf.subarray(at, end - 2);
}

/** Where a relayed stream stands. */
export type RelayState =
  /** Still streaming. */
  | 'open'
  /** The protocol's end went out: the answer is whole. */
  | 'done'
  /** An error event went out (redacted), or the stream broke before its first event: it failed. */
  | 'failed';

/**
 * What every relay shares: the framer, the state, the failure and the usage read on the way. A protocol
 * supplies `judge` (one whole event: forward it as is, replace it, or drop it) and, when its end is
 * not only an end event, `end`.
 *
 * @example
 * class MyRelay extends FramedRelay {
 *   protected readonly judge = (buf: Buffer, start: number, end: number) => undefined; // forward all
 * }
 */
export abstract class FramedRelay {
  state: RelayState = 'open';
  /** Events forwarded so far. */
  events = 0;
  /** Why the stream failed, when it did: the upstream's message (redacted) or what was wrong. */
  failure: string | undefined;
  /** Whether the failure is that the stream itself was broken (not an error event the upstream sent). */
  malformed = false;
  usage: Usage | undefined;
  private readonly framer = new SseFramer();

  protected abstract readonly judge: EventJudge;

  /** Whether the first event has been seen, so the stream can be judged. */
  get judged(): boolean {
    return this.events > 0 || this.state !== 'open';
  }

  /** Takes the next bytes; returns the whole events among them to forward (none: undefined). */
  push(chunk: Buffer): Buffer | undefined {
    if (this.state !== 'open') return undefined;
    return this.framer.push(chunk, this.judge, this.open);
  }

  /** The upstream ended: a last event without its blank line is still taken. Whole when its end came. */
  end(): { complete: boolean; out: Buffer | undefined } {
    const out = this.framer.flush(this.judge, this.open);
    return { complete: this.state === 'done', out };
  }

  protected readonly open = (): boolean => this.state === 'open';

  /** Marks the stream failed; the event at hand is dropped (`drop`) or forwarded as it is. */
  protected fail(why: string, malformed: boolean, drop = true): Buffer | undefined {
    this.state = 'failed';
    this.failure = why;
    this.malformed = malformed;
    return drop ? Buffer.alloc(0) : undefined;
  }
}

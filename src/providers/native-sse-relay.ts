import type { Usage } from '../telemetry/usage.js';
import { eventFields, FramedRelay } from './sse-framer.js';
import type { NativeProtocol } from './types.js';

/** How one named-event protocol begins, ends, fails and reports usage. */
export interface NamedEventRules {
  /** Names a valid stream may begin with. */
  first: ReadonlySet<string>;
  /** Names that complete the answer. */
  done: ReadonlySet<string>;
  /** Names that report a failure. */
  errors: ReadonlySet<string>;
  /** Usage after this event (given the usage so far), when the event carries some. */
  usage(name: string, data: Record<string, unknown>, current: Usage | undefined): Usage | undefined;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const obj = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** Anthropic's Messages stream: `message_start` ... `message_stop`; `error` events; usage in start and delta. */
export const ANTHROPIC_EVENTS: NamedEventRules = {
  first: new Set(['message_start']),
  done: new Set(['message_stop']),
  errors: new Set(['error']),
  usage(name, data, current) {
    if (name === 'message_start') {
      const u = obj(obj(data.message)?.usage);
      return u ? { promptTokens: num(u.input_tokens) + num(u.cache_read_input_tokens) + num(u.cache_creation_input_tokens), completionTokens: num(u.output_tokens) } : current;
    }
    if (name === 'message_delta') {
      const u = obj(data.usage);
      return u ? { promptTokens: current?.promptTokens ?? num(u.input_tokens), completionTokens: num(u.output_tokens) } : current;
    }
    return current;
  },
};

/** OpenAI's Responses stream: `response.created` ... `response.completed` (or `.incomplete`); `response.failed`, `error`. */
export const RESPONSES_EVENTS: NamedEventRules = {
  first: new Set(['response.created']),
  done: new Set(['response.completed', 'response.incomplete']),
  errors: new Set(['response.failed', 'error']),
  usage(name, data, current) {
    if (!this.done.has(name)) return current;
    const u = obj(obj(data.response)?.usage);
    return u ? { promptTokens: num(u.input_tokens), completionTokens: num(u.output_tokens) } : current;
  },
};

export const NATIVE_EVENTS: Record<NativeProtocol, NamedEventRules> = { 'anthropic-messages': ANTHROPIC_EVENTS, 'openai-responses': RESPONSES_EVENTS };

/**
 * Relays a provider's own named-event stream untouched (byte for byte: thinking signatures and all)
 * while judging it as `OpenAISseRelay` judges OpenAI's: the first event must be the protocol's start
 * (else the provider failed before the client saw a byte), the answer is whole at its end event, and
 * an error event is forwarded and ends it. Usage is read on the way for accounting.
 *
 * @example
 * const relay = new NamedEventRelay(ANTHROPIC_EVENTS);
 * relay.push(Buffer.from('event: message_start\ndata: {"type":"message_start","message":{}}\n\n'));
 * relay.judged; // true
 */
export class NamedEventRelay extends FramedRelay {
  constructor(
    private readonly rules: NamedEventRules,
    /** Removes secrets from text about to be forwarded (error events only: they echo requests). */
    private readonly redact: (text: string) => string = (t) => t,
  ) {
    super();
  }

  protected readonly judge = (buf: Buffer, start: number, end: number): Buffer | undefined => {
    const { name, data } = eventFields(buf, start, end);
    if (data === undefined) return undefined; // a comment or keep-alive
    const type = name ?? 'message';
    let parsed: Record<string, unknown> | undefined;
    try {
      parsed = obj(JSON.parse(typeof data === 'string' ? data : data.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (this.events === 0 && !this.rules.first.has(type)) {
      if (this.rules.errors.has(type)) return this.fail(this.redact(messageOf(parsed) ?? `the stream began with ${type}`), false, true);
      return this.fail(`the stream began with ${type}, not ${[...this.rules.first].join(' or ')}`, true, true);
    }
    this.events += 1;
    if (parsed) this.usage = this.rules.usage(type, parsed, this.usage);
    if (this.rules.errors.has(type)) {
      this.fail(this.redact(messageOf(parsed) ?? `the provider reported ${type}`), false, false);
      return Buffer.from(this.redact(buf.toString('utf8', start, end)));
    }
    if (this.rules.done.has(type)) this.state = 'done';
    return undefined;
  };
}

function messageOf(parsed: Record<string, unknown> | undefined): string | undefined {
  const e = obj(parsed?.error) ?? obj(obj(parsed?.response)?.error);
  return typeof e?.message === 'string' ? e.message : undefined;
}

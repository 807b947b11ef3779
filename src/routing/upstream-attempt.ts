import { readBody } from '../providers/body-readers.js';
import { NATIVE_EVENTS, NamedEventRelay } from '../providers/native-sse-relay.js';
import { OpenAISseRelay } from '../providers/openai-sse-relay.js';
import type { NativeProtocol, UpstreamCall, UpstreamResponse } from '../providers/types.js';
import { readUsage, type Usage } from '../telemetry/usage.js';
import type { AttemptResult } from './attempt-loop.js';
import { parseRetryAfter, type UpstreamFailure } from './classify.js';
import { type FirstEvent, type StreamRelay, UpstreamStream } from './upstream-stream.js';

/**
 * What a decided attempt hands to the responder. `native`: the bytes are the provider's own protocol
 * (passed through), not the OpenAI pivot.
 */
export type Served =
  | { kind: 'json'; status: number; body: Buffer; usage?: Usage; native?: NativeProtocol }
  | { kind: 'stream'; status: number; stream: UpstreamStream; streamUsage?: () => Usage | undefined; native?: NativeProtocol }
  /** An upstream error the client gets as its own (not failed over). */
  | { kind: 'error'; status: number; body: Buffer; retryAfter?: string; native?: NativeProtocol };

/** How to judge an answer in the protocol it comes in. */
export interface AnswerRules {
  /** Set when the answer is a native protocol's (passed through). */
  native?: NativeProtocol;
  /** The relay that frames and judges a stream of it. */
  relay(redact: (text: string) => string): StreamRelay;
  /** Whether a parsed JSON body is an answer (not an error or something else), and its usage. */
  answer(parsed: unknown): { ok: true; usage?: Usage } | { ok: false; detail: string };
}

/** OpenAI's chat and completions (`choices`), and embeddings (`data`), as every adapter answers them. */
export function openAIRules(call: Pick<UpstreamCall, 'endpoint' | 'body'>): AnswerRules {
  const n = call.body.n;
  const choices = typeof n === 'number' && n > 1 ? n : 1;
  // The usual cases are made once, not per attempt.
  const expected = call.endpoint === 'embeddings' ? 'data' : 'choices';
  if (choices === 1) return expected === 'data' ? EMBEDDING_RULES : ONE_CHOICE_RULES;
  return rulesFor(expected, choices);
}

function rulesFor(expected: 'choices' | 'data', choices: number): AnswerRules {
  return {
    relay: (redact) => new OpenAISseRelay({ choices, redact }),
    answer: (parsed) => {
      // Chat and completions answer with choices, embeddings with data: anything else is not an answer.
      if (parsed === null || typeof parsed !== 'object' || !(expected in parsed)) return { ok: false, detail: `response has no "${expected}"` };
      const usage = readUsage(parsed);
      return usage ? { ok: true, usage } : { ok: true };
    },
  };
}

const ONE_CHOICE_RULES = rulesFor('choices', 1);
const EMBEDDING_RULES = rulesFor('data', 1);

/** A native protocol's answers: its own event stream, and a JSON body of its own answer type. */
export function nativeRules(native: NativeProtocol): AnswerRules {
  const events = NATIVE_EVENTS[native];
  const [field, value] = native === 'anthropic-messages' ? ['type', 'message'] : ['object', 'response'];
  return {
    native,
    relay: (redact) => new NamedEventRelay(events, redact),
    answer: (parsed) => {
      if (parsed === null || typeof parsed !== 'object' || (parsed as Record<string, unknown>)[field] !== value) return { ok: false, detail: `response is not a ${native} answer` };
      const u = (parsed as { usage?: Record<string, unknown> }).usage;
      const n = (v: unknown) => (typeof v === 'number' ? v : 0);
      return u ? { ok: true, usage: { promptTokens: n(u.input_tokens) + n(u.cache_read_input_tokens) + n(u.cache_creation_input_tokens), completionTokens: n(u.output_tokens) } } : { ok: true };
    },
  };
}

const MAX_ERROR_BODY = 64 * 1024;

/**
 * What an attempt reports back to the provider's key ring and rate tracking.
 */
export interface AttemptHooks {
  /** Every answer's status and headers (key ring, rate-limit tracking). */
  onResponse(status: number, headers: Record<string, string | string[] | undefined>, retryAfterMs: number | undefined): void;
  /** Removes the provider's keys from text about to be logged or shown. */
  redact(text: string): string;
}

/**
 * Runs one upstream call far enough to judge it: a JSON answer is read whole (it is small and must
 * parse); a stream is judged at its first whole event, so a stream that dies, sends an error event or
 * a broken event before anything reached the client is failed over like any other failure, and
 * nothing is buffered beyond that first event.
 */
export async function attemptUpstream(sent: Promise<UpstreamResponse>, stream: boolean, hooks: AttemptHooks, rules: AnswerRules): Promise<AttemptResult<Served>> {
  const res = await sent;
  const ok = res.status >= 200 && res.status < 300;
  hooks.onResponse(res.status, res.headers, ok ? undefined : parseRetryAfter(res.headers['retry-after']));
  if (!ok) {
    const body = await readBody(res.body, MAX_ERROR_BODY);
    const retryAfterHeader = res.headers['retry-after'];
    const retryAfterMs = parseRetryAfter(retryAfterHeader);
    const { message, code } = describeError(body, hooks.redact);
    const failure: Extract<UpstreamFailure, { kind: 'status' }> = { kind: 'status', status: res.status };
    if (retryAfterMs !== undefined) failure.retryAfterMs = retryAfterMs;
    if (message) failure.message = message;
    if (code) failure.code = code;
    const value: Extract<Served, { kind: 'error' }> = { kind: 'error', status: res.status, body };
    if (typeof retryAfterHeader === 'string') value.retryAfter = retryAfterHeader;
    if (rules.native) value.native = rules.native;
    return { kind: 'failure', failure, value };
  }
  if (stream) {
    const upstream = new UpstreamStream(res.body, rules.relay(hooks.redact));
    let first: FirstEvent;
    try {
      first = await upstream.firstEvent();
    } catch (err) {
      upstream.destroy();
      throw err;
    }
    if (!first.ok) {
      upstream.destroy();
      return { kind: 'failure', failure: { kind: 'malformed', detail: first.detail } };
    }
    const value: Extract<Served, { kind: 'stream' }> = { kind: 'stream', status: res.status, stream: upstream };
    if (res.streamUsage) value.streamUsage = res.streamUsage;
    if (rules.native) value.native = rules.native;
    return { kind: 'success', value };
  }
  const body = await readBody(res.body);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { kind: 'failure', failure: { kind: 'malformed', detail: 'response body is not valid JSON' } };
  }
  const verdict = rules.answer(parsed);
  if (!verdict.ok) return { kind: 'failure', failure: { kind: 'malformed', detail: verdict.detail } };
  const value: Extract<Served, { kind: 'json' }> = { kind: 'json', status: res.status, body };
  if (verdict.usage) value.usage = verdict.usage;
  if (rules.native) value.native = rules.native;
  return { kind: 'success', value };
}

/** A short, key-free description of an upstream error body (message and code), for logs and decisions. */
function describeError(body: Buffer, redact: (text: string) => string): { message?: string; code?: string } {
  let text: string | undefined;
  let code: string | undefined;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { error?: { message?: unknown; code?: unknown } | string; message?: unknown };
    const e = parsed.error;
    text = typeof e === 'string' ? e : typeof e?.message === 'string' ? e.message : typeof parsed.message === 'string' ? parsed.message : undefined;
    if (typeof e === 'object' && typeof e?.code === 'string') code = e.code;
  } catch {
    text = undefined;
  }
  if (!text) return code ? { code } : {};
  text = redact(text);
  return { message: text.length > 200 ? `${text.slice(0, 200)}…` : text, ...(code ? { code } : {}) };
}

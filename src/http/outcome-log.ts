import type { Outcome, Routing } from '../core/serve.js';
import type { ServedStream, StreamEnd } from '../core/served-stream.js';
import type { Usage } from '../telemetry/usage.js';
import type { Fail } from './admission.js';

/** Ends the request: its status and the log line's extra fields (one line, one count). */
export type Done = (status: number, extra?: Record<string, unknown>) => void;

/**
 * The outcomes every door renders the same way: a refusal (in its protocol, through `fail`) and a caller
 * gone before the answer (logged as 499). True when it rendered the outcome.
 *
 * @example
 * if (renderRefusal(outcome, done, fail)) return;
 */
export function renderRefusal(outcome: Outcome, done: Done, fail: Fail): boolean {
  if (outcome.kind === 'refused') {
    fail(outcome.error, outcome.headers, outcome.tried ? { attempts: outcome.headers['x-switchyard-attempts'], tried: outcome.tried } : {});
    return true;
  }
  if (outcome.kind === 'aborted') {
    done(499, { attempts: outcome.attempts, error: 'client_closed_request' });
    return true;
  }
  return false;
}

/** The log fields of an answer: who served it and its tokens. */
export function answerLog(routing: Routing, usage: Usage | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = { provider: routing.provider, model: routing.model, attempts: routing.attempts };
  if (usage) {
    fields.promptTokens = usage.promptTokens;
    fields.completionTokens = usage.completionTokens;
  }
  return fields;
}

/** The log fields of a stream once it ended: who served it, how it ended, its tokens when whole. */
export function streamLog(routing: Routing, end: StreamEnd): Record<string, unknown> {
  const fields = answerLog(routing, end.kind === 'complete' ? end.usage : undefined);
  fields.stream = end.kind;
  if (end.kind === 'upstream_error') fields.error = end.detail;
  return fields;
}

/**
 * Starts piping a served stream; if that throws, the stream is cancelled first, so the upstream does
 * not stream on to nobody and its breaker settles.
 *
 * @example
 * pipeGuarded(outcome.stream, () => pipeStream(res, outcome.stream, headers, requestId, onEnd));
 */
export function pipeGuarded(stream: ServedStream, pipe: () => void): void {
  try {
    pipe();
  } catch (err) {
    stream.cancel();
    throw err;
  }
}

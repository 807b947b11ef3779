import type { ApiError } from '../http/errors.js';
import { errorJson } from '../http/errors.js';
import type { KeyRing } from '../providers/key-ring.js';
import type { AttemptRecord, LoopResult } from '../routing/attempt-loop.js';
import type { Served } from '../routing/upstream-attempt.js';

/** The answer when no provider could serve: what was tried, with the status that fits the failures. */
export function exhaustedError(model: string, r: Extract<LoopResult<Served>, { kind: 'exhausted' }>): ApiError {
  const tried = r.attempts.map(describeAttempt).join('; ');
  const made = r.attempts.some((a) => a.result !== 'skipped');
  if (!made) {
    return { status: 503, type: 'service_unavailable', code: 'providers_unavailable', message: `No provider is available for model \`${model}\`: ${tried}.` };
  }
  if (r.allRateLimited) {
    return { status: 429, type: 'rate_limit_error', code: 'upstream_rate_limited', message: `Every provider for model \`${model}\` is rate limiting: ${tried}.` };
  }
  if (r.allTimedOut) {
    return { status: 504, type: 'timeout_error', code: 'upstream_timeout', message: `Every provider for model \`${model}\` timed out: ${tried}.` };
  }
  return { status: 502, type: 'server_error', code: 'all_providers_failed', message: `All providers failed for model \`${model}\`: ${tried}.` };
}

function describeAttempt(a: AttemptRecord): string {
  return `${a.provider} (${a.model}): ${a.result === 'skipped' ? `skipped, ${a.detail}` : (a.detail ?? a.result)}`;
}

/** An upstream error passed back as the client's own: kept when it is already the OpenAI envelope. */
export function asErrorEnvelope(body: Buffer, status: number, keys: KeyRing): Buffer {
  const text = keys.redact(body.toString('utf8'));
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (parsed.error && typeof parsed.error.message === 'string') return Buffer.from(text);
  } catch {
    // not JSON: wrapped below
  }
  return Buffer.from(
    errorJson({ status, type: 'invalid_request_error', code: 'upstream_error', message: `The provider rejected the request (HTTP ${status}).` }),
  );
}


import type { AttemptRecord, LoopResult } from '../routing/attempt-loop.js';
import type { Served } from '../routing/upstream-attempt.js';
import { type ApiError, gatewayError, openAIErrorJson } from './errors.js';

/**
 * The answer when no provider could serve: what was tried, with the status that fits the failures.
 *
 * @example
 * exhaustedError('gpt-4o', result); // 502 all_providers_failed: "... alpha (gpt-4o): HTTP 500; beta ..."
 */
export function exhaustedError(model: string, r: Extract<LoopResult<Served>, { kind: 'exhausted' }>): ApiError {
  const tried = r.attempts.map(describeAttempt).join('; ');
  const made = r.attempts.some((a) => a.result !== 'skipped');
  if (!made) return gatewayError('providers_unavailable', `No provider is available for model \`${model}\`: ${tried}.`);
  if (r.allRateLimited) return gatewayError('upstream_rate_limited', `Every provider for model \`${model}\` is rate limiting: ${tried}.`);
  if (r.allTimedOut) return gatewayError('upstream_timeout', `Every provider for model \`${model}\` timed out: ${tried}.`);
  return gatewayError('all_providers_failed', `All providers failed for model \`${model}\`: ${tried}.`);
}

function describeAttempt(a: AttemptRecord): string {
  return `${a.provider} (${a.model}): ${a.result === 'skipped' ? `skipped, ${a.detail}` : (a.detail ?? a.result)}`;
}

/**
 * An upstream error passed back as the caller's own, with the provider's keys removed: kept when it is
 * already the OpenAI envelope, else wrapped in one.
 *
 * @example
 * upstreamErrorEnvelope(Buffer.from('{"error":{"message":"bad sk-1"}}'), 400, (t) => t.replace('sk-1', '[redacted]'));
 */
export function upstreamErrorEnvelope(body: Buffer, status: number, redact: (text: string) => string): Buffer {
  const text = redact(body.toString('utf8'));
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } };
    if (parsed.error && typeof parsed.error.message === 'string') return Buffer.from(text);
  } catch {
    // not JSON: wrapped below
  }
  return Buffer.from(openAIErrorJson(gatewayError('upstream_error', `The provider rejected the request (HTTP ${status}).`, null, status)));
}

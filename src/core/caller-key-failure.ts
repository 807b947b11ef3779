import type { AttemptResult } from '../routing/attempt-loop.js';
import type { Served } from '../routing/upstream-attempt.js';

/** Statuses that blame the key an attempt was sent with: refused (401, 403) or rate limited (429). */
const KEY_STATUSES = new Set([401, 403, 429]);

/**
 * An attempt made with the caller's own key: a 401, 403 or 429 is that key's refusal or its own rate
 * limit, not the provider's health, so it becomes a `caller_key` failure (failed over, not counted by
 * the breaker). Attempts with the gateway's keys pass untouched (and without an extra step).
 *
 * @example
 * return blameCallerKey(attemptUpstream(sent, stream, hooks, rules), keys.isCallerKey(apiKey));
 */
export function blameCallerKey(attempt: Promise<AttemptResult<Served>>, withCallerKey: boolean): Promise<AttemptResult<Served>> {
  if (!withCallerKey) return attempt;
  return attempt.then((result) => {
    if (result.kind !== 'failure' || result.failure.kind !== 'status' || !KEY_STATUSES.has(result.failure.status)) return result;
    const { status, retryAfterMs } = result.failure;
    return { kind: 'failure', failure: { kind: 'caller_key', status, detail: `the caller's own key got HTTP ${status}`, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) } };
  });
}

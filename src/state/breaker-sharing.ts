import type { BreakerSnapshot, CircuitState } from '../routing/circuit-breaker.js';

/** A breaker transition as written to Redis and published (also the shape of the breaker hash). */
export interface Transition {
  provider: string;
  state: CircuitState;
  failures: number;
  openedAt: number;
  origin: string;
  at: number;
}

/** Published on every failure counted while closed: the fleet's run of consecutive failures. */
export interface FailureCount {
  provider: string;
  failures: number;
  origin: string;
}

/**
 * What a local change of a breaker means for the fleet (a pure decision):
 * - `failure`: a failure counted while closed (whether or not it opened the breaker locally): it is
 *   counted in Redis, where the fleet-wide count decides whether the breaker opens;
 * - `transition`: open, re-open, close, or a run of failures reset by a success: written and published;
 * - `none`: half-open bookkeeping, or nothing the fleet needs (a success with no failures to reset).
 */
export function fleetChange(previous: BreakerSnapshot, next: BreakerSnapshot): 'failure' | 'transition' | 'none' {
  if (previous.state === 'closed' && next.state !== 'half_open' && next.failures > previous.failures) return 'failure';
  if (next.state === 'half_open') return 'none';
  if (next.state !== previous.state || next.openedAt !== previous.openedAt) return 'transition';
  if (next.state === 'closed' && previous.failures > 0 && next.failures === 0) return 'transition';
  return 'none';
}

/** Parses a breaker-channel message: a transition, a failure count, or undefined when it is neither. */
export function parseBreakerMessage(message: string): { kind: 'transition'; t: Transition } | { kind: 'failures'; f: FailureCount } | undefined {
  let m: Partial<Transition>;
  try {
    m = JSON.parse(message) as Partial<Transition>;
  } catch {
    return undefined;
  }
  if (typeof m.provider !== 'string' || typeof m.failures !== 'number' || typeof m.origin !== 'string') return undefined;
  if (m.state === undefined) return { kind: 'failures', f: { provider: m.provider, failures: m.failures, origin: m.origin } };
  if (typeof m.openedAt !== 'number' || typeof m.at !== 'number') return undefined;
  return { kind: 'transition', t: m as Transition };
}

/** Atomic write-and-publish of one transition; an older write (by `at`) never overwrites a newer one. */
export const WRITE_TRANSITION = `
local at = redis.call('HGET', KEYS[1], 'at')
if at and tonumber(at) > tonumber(ARGV[5]) then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'failures', ARGV[2], 'openedAt', ARGV[3], 'origin', ARGV[4], 'at', ARGV[5])
if ARGV[1] == 'closed' then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[6], ARGV[7])
return 1`;

/**
 * Counts one failure fleet-wide. KEYS: breaker. ARGV: threshold, now, origin, channel, provider.
 * Not closed: nothing counted, the shared state is returned. Closed: HINCRBY failures; at the threshold
 * the breaker opens (written and published as a transition), below it the count is published.
 * Returns {state, failures, openedAt, at, origin}.
 */
export const COUNT_FAILURE = `
local h = redis.call('HMGET', KEYS[1], 'state', 'failures', 'openedAt', 'at', 'origin')
if h[1] and h[1] ~= 'closed' then
  return {h[1], h[2] or '0', h[3] or '0', h[4] or '0', h[5] or ''}
end
local n = redis.call('HINCRBY', KEYS[1], 'failures', 1)
if n >= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', 'open', 'openedAt', ARGV[2], 'origin', ARGV[3], 'at', ARGV[2])
  redis.call('PUBLISH', ARGV[4], cjson.encode({provider = ARGV[5], state = 'open', failures = n, openedAt = tonumber(ARGV[2]), origin = ARGV[3], at = tonumber(ARGV[2])}))
  return {'open', tostring(n), ARGV[2], ARGV[2], ARGV[3]}
end
if not h[1] then redis.call('HSET', KEYS[1], 'state', 'closed') end
redis.call('PUBLISH', ARGV[4], cjson.encode({provider = ARGV[5], failures = n, origin = ARGV[3]}))
return {'closed', tostring(n), h[3] or '0', h[4] or '0', h[5] or ''}`;

/** Gives up the probe lease, if this instance (ARGV[1]) still holds it. */
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

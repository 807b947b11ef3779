import { describe, expect, it } from 'vitest';
import { classifyFailure, failureFromError, parseRetryAfter } from '../../src/routing/classify.js';

describe('outcome classification', () => {
  it.each([
    [408, true, 'failure'],
    [429, true, 'failure'],
    [500, true, 'failure'],
    [502, true, 'failure'],
    [503, true, 'failure'],
    [504, true, 'failure'],
    [529, true, 'failure'],
    [401, true, 'failure'],
    [403, true, 'failure'],
    [404, true, 'neutral'],
    [400, false, 'neutral'],
    [413, false, 'neutral'],
    [422, false, 'neutral'],
  ])('HTTP %i: failover %s, breaker %s', (status, failover, breaker) => {
    expect(classifyFailure({ kind: 'status', status })).toEqual({ failover, breaker });
  });

  it('fails over and counts transport failures', () => {
    for (const kind of ['connect', 'reset', 'timeout', 'malformed'] as const) {
      expect(classifyFailure({ kind, detail: 'x' })).toEqual({ failover: true, breaker: 'failure' });
    }
  });

  it('maps network error codes', () => {
    expect(failureFromError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toEqual({ kind: 'connect', detail: 'ECONNREFUSED' });
    expect(failureFromError({ cause: { code: 'ENOTFOUND' } })).toEqual({ kind: 'connect', detail: 'ENOTFOUND' });
    expect(failureFromError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET' })).kind).toBe('reset');
    expect(failureFromError(Object.assign(new Error('x'), { code: 'UND_ERR_BODY_TIMEOUT' })).kind).toBe('timeout');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

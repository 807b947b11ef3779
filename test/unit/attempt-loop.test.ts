import { describe, expect, it, vi } from 'vitest';
import { runAttempts } from '../../src/routing/attempt-loop.js';
import type { UpstreamFailure } from '../../src/routing/classify.js';
import type { Candidate } from '../../src/routing/strategy.js';
import { A, B, C, D, exhausted, fail, fixture, hangs, ok, served, status } from '../support/loop-fixture.js';

describe('runAttempts: success', () => {
  it('serves the first candidate when it answers, and leaves settling to finish', async () => {
    const f = fixture();
    f.on('a', ok('hello'));
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(A);
    expect(r.value).toBe('hello');
    expect(r.attempts).toEqual([{ provider: 'a', model: 'model-a', result: 'success' }]);
    expect(r.upstreamMs).toBeGreaterThanOrEqual(r.latencyMs);
    expect(f.calls).toEqual(['a']);
    expect(f.settlements()).toEqual([]);
    expect(f.reported).toEqual([]);
  });

  it('finish settles the breaker and reports the attempt exactly once', async () => {
    const f = fixture({}, { failureThreshold: 2, cooldownMs: 1000 });
    f.on('a', ok());
    const r = served(await runAttempts(f.options));
    r.finish('failure');
    r.finish('failure');
    r.finish('success');
    expect(f.settlements()).toEqual([['a', 'failure']]);
    // A second 'failure' would have reached the threshold of 2.
    expect(f.store.getBreaker('a')).toMatchObject({ state: 'closed', failures: 1 });
    expect(f.reported).toEqual([{ provider: 'a', outcome: 'failure', failedOver: false }]);
  });

  it.each([
    ['success', 'success'],
    ['neutral', 'success'],
    ['failure', 'failure'],
  ] as const)('finish(%s) reports the attempt as %s', async (outcome, reportedAs) => {
    const f = fixture();
    f.on('a', ok());
    served(await runAttempts(f.options)).finish(outcome);
    expect(f.settlements()).toEqual([['a', outcome]]);
    expect(f.reported).toEqual([{ provider: 'a', outcome: reportedAs, failedOver: false }]);
  });

  it('keeps the client abort wired to the served attempt until finish', async () => {
    const f = fixture();
    f.on('a', ok());
    served(await runAttempts(f.options));
    expect(f.signal.listening).toBe(1);
    f.signal.abort('client gone');
    expect(f.cancels[0]!.aborted).toBe(true);
    expect(f.cancels[0]!.reason).toBe('client gone');
  });

  it('unhooks the client abort at finish', async () => {
    const f = fixture();
    f.on('a', ok());
    served(await runAttempts(f.options)).finish('success');
    expect(f.signal.listening).toBe(0);
    f.signal.abort('client gone');
    expect(f.cancels[0]!.aborted).toBe(false);
  });
});

describe('runAttempts: failover by failure class', () => {
  it.each<[string, UpstreamFailure, string, 'failure' | 'neutral']>([
    ['500', { kind: 'status', status: 500 }, 'HTTP 500', 'failure'],
    ['529', { kind: 'status', status: 529, message: 'overloaded' }, 'HTTP 529 (overloaded)', 'failure'],
    ['408', { kind: 'status', status: 408 }, 'HTTP 408', 'failure'],
    ['429', { kind: 'status', status: 429 }, 'HTTP 429', 'failure'],
    ['401', { kind: 'status', status: 401 }, 'HTTP 401', 'failure'],
    ['403', { kind: 'status', status: 403 }, 'HTTP 403', 'failure'],
    ['404', { kind: 'status', status: 404 }, 'HTTP 404', 'neutral'],
    ['connect', { kind: 'connect', detail: 'ECONNREFUSED' }, 'connection failed: ECONNREFUSED', 'failure'],
    ['reset', { kind: 'reset', detail: 'ECONNRESET' }, 'connection reset: ECONNRESET', 'failure'],
    ['timeout', { kind: 'timeout', detail: 'slow' }, 'timed out: slow', 'failure'],
    ['malformed', { kind: 'malformed', detail: 'not JSON' }, 'malformed response: not JSON', 'failure'],
    ['tls', { kind: 'tls', detail: 'bad cert' }, 'TLS error: bad cert', 'failure'],
  ])('%s: fails over to the next candidate', async (_name, failure, detail, breakerOutcome) => {
    const f = fixture();
    f.on('a', fail(failure));
    f.on('b', ok('from b'));
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(B);
    expect(r.value).toBe('from b');
    expect(r.attempts).toEqual([
      { provider: 'a', model: 'model-a', result: 'failure', detail },
      { provider: 'b', model: 'model-b', result: 'success' },
    ]);
    expect(f.calls).toEqual(['a', 'b']);
    expect(f.settlements()).toEqual([['a', breakerOutcome]]);
    expect(f.store.getBreaker('a').failures).toBe(breakerOutcome === 'failure' ? 1 : 0);
    expect(f.reported).toEqual([{ provider: 'a', outcome: 'failure', failedOver: true }]);
  });

  it.each<[string, unknown, string]>([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'connection failed: ECONNREFUSED'],
    ['a reset under fetch', new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }), 'connection reset: ECONNRESET'],
    ['an idle timeout', { code: 'UPSTREAM_IDLE_TIMEOUT' }, 'timed out: UPSTREAM_IDLE_TIMEOUT'],
    ['an expired certificate', { code: 'CERT_HAS_EXPIRED' }, 'TLS error: certificate has expired (CERT_HAS_EXPIRED)'],
    ['a bare string', 'boom', 'connection reset: error'],
  ])('a thrown error (%s) is mapped by failureFromError and failed over', async (_name, thrown, detail) => {
    const f = fixture();
    f.on('a', { throws: thrown });
    f.on('b', ok());
    const r = served(await runAttempts(f.options));
    expect(r.attempts[0]).toEqual({ provider: 'a', model: 'model-a', result: 'failure', detail });
    expect(f.settlements()).toEqual([['a', 'failure']]);
    expect(f.reported).toEqual([{ provider: 'a', outcome: 'failure', failedOver: true }]);
  });

  it('an attempt past its per-candidate timeout is cancelled and failed over as a timeout', async () => {
    const f = fixture({ timeoutMs: (c) => (c.provider === 'a' ? 5 : 10_000) });
    f.on('a', hangs);
    f.on('b', ok());
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(B);
    expect(r.attempts[0]).toEqual({ provider: 'a', model: 'model-a', result: 'failure', detail: 'timed out: no answer within 5 ms' });
    expect(f.cancels[0]!.aborted).toBe(true);
    expect(typeof f.cancels[0]!.reason).toBe('symbol');
    expect(f.settlements()).toEqual([['a', 'failure']]);
  });

  it('a 400 without a body to hand over is failed over, the breaker left alone', async () => {
    const f = fixture();
    f.on('a', status(400));
    f.on('b', ok());
    const r = served(await runAttempts(f.options));
    expect(r.attempts[0]).toEqual({ provider: 'a', model: 'model-a', result: 'failure', detail: 'HTTP 400' });
    expect(f.settlements()).toEqual([['a', 'neutral']]);
    expect(f.reported).toEqual([{ provider: 'a', outcome: 'failure', failedOver: true }]);
  });
});

describe('runAttempts: rejected requests', () => {
  it.each([400, 413, 422])('%i with a body is handed to the client, not failed over', async (s) => {
    const retrySameProvider = vi.fn(() => true);
    const f = fixture({ retrySameProvider });
    f.on('a', status(s, { message: 'bad temperature' }, '{"error":"bad temperature"}'));
    const r = await runAttempts(f.options);
    expect(r).toEqual({
      kind: 'rejected',
      candidate: A,
      value: '{"error":"bad temperature"}',
      failure: { kind: 'status', status: s, message: 'bad temperature' },
      attempts: [{ provider: 'a', model: 'model-a', result: 'rejected', detail: `HTTP ${s} (bad temperature)` }],
    });
    expect(f.calls).toEqual(['a']);
    expect(retrySameProvider).not.toHaveBeenCalled();
    expect(f.settlements()).toEqual([['a', 'neutral']]);
    expect(f.reported).toEqual([{ provider: 'a', outcome: 'rejected', failedOver: false }]);
    expect(f.signal.listening).toBe(0);
  });
});

describe('runAttempts: breaker gate', () => {
  it('skips an open provider and reports how long until its probe', async () => {
    const f = fixture({}, { failureThreshold: 1, cooldownMs: 1000 });
    f.open('a');
    f.advance(300);
    f.on('b', status(500));
    f.on('c', status(502));
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual(['b', 'c']);
    expect(r.attempts[0]).toEqual({ provider: 'a', model: 'model-a', result: 'skipped', detail: 'circuit open' });
    expect(r.retryAfterMs).toBe(700);
  });

  it('takes the shorter of a probe wait and an upstream Retry-After', async () => {
    const f = fixture({ candidates: [A, B] }, { failureThreshold: 1, cooldownMs: 1000 });
    f.open('a');
    f.on('b', status(429, { retryAfterMs: 400 }));
    expect(exhausted(await runAttempts(f.options)).retryAfterMs).toBe(400);
  });

  it('skips a provider whose probe is out, with no wait to report', async () => {
    const f = fixture({ candidates: [A] }, { failureThreshold: 1, cooldownMs: 1000 });
    f.open('a');
    f.advance(1000);
    expect(f.breakers.admit('a')).toEqual({ allowed: true, probe: true });
    const r = exhausted(await runAttempts(f.options));
    expect(r).toEqual({
      kind: 'exhausted',
      attempts: [{ provider: 'a', model: 'model-a', result: 'skipped', detail: 'circuit open' }],
      allTimedOut: false,
      allRateLimited: false,
    });
    expect(f.calls).toEqual([]);
  });

  it('lets the probe through once the cooldown has passed', async () => {
    const f = fixture({}, { failureThreshold: 1, cooldownMs: 1000 });
    f.open('a');
    f.advance(1000);
    f.on('a', ok());
    served(await runAttempts(f.options)).finish('success');
    expect(f.store.getBreaker('a').state).toBe('closed');
  });
});

describe('runAttempts: limits', () => {
  it('skips the rest once max attempts are made', async () => {
    const f = fixture({ maxAttempts: 1 });
    f.on('a', status(500));
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual(['a']);
    expect(r.attempts.slice(1)).toEqual([
      { provider: 'b', model: 'model-b', result: 'skipped', detail: 'attempt limit reached' },
      { provider: 'c', model: 'model-c', result: 'skipped', detail: 'attempt limit reached' },
    ]);
  });

  it('skips every candidate when the deadline has already passed', async () => {
    const f = fixture({ deadline: Date.now() - 1 });
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual([]);
    expect(r.attempts.map((a) => a.detail)).toEqual(['request deadline passed', 'request deadline passed', 'request deadline passed']);
    expect(r).toMatchObject({ allTimedOut: false, allRateLimited: false });
  });

  it('bounds an attempt by the deadline and skips the rest once it has passed', async () => {
    const f = fixture({ deadline: Date.now() + 10 });
    f.on('a', hangs);
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual(['a']);
    const budget = Number(/^timed out: no answer within (\d+) ms$/.exec(r.attempts[0]!.detail ?? '')?.[1]);
    expect(budget).toBeGreaterThan(0);
    expect(budget).toBeLessThanOrEqual(10);
    expect(r.attempts.slice(1).map((a) => a.detail)).toEqual(['request deadline passed', 'request deadline passed']);
    expect(r.allTimedOut).toBe(true);
  });

  it('with no candidates, is exhausted at once', async () => {
    const f = fixture({ candidates: [] });
    expect(await runAttempts(f.options)).toEqual({ kind: 'exhausted', attempts: [], allTimedOut: false, allRateLimited: false });
  });
});

describe('runAttempts: context-length errors', () => {
  const windows: Record<string, number | undefined> = { a: 8000, b: 8000, c: 32_000, d: undefined };
  const contextWindow = (c: Candidate) => windows[c.provider];
  const overflow = (value?: string) => status(400, { code: 'context_length_exceeded' }, value);

  it('skips candidates whose window is not larger, even when the error has a body', async () => {
    const f = fixture({ contextWindow });
    f.on('a', overflow('{"error":"too long"}'));
    f.on('c', ok('from c'));
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(C);
    expect(f.calls).toEqual(['a', 'c']);
    expect(r.attempts[1]).toEqual({ provider: 'b', model: 'model-b', result: 'skipped', detail: 'context window of 8000 tokens is too small' });
    expect(f.settlements()).toEqual([['a', 'neutral']]);
    expect(f.reported).toEqual([{ provider: 'a', outcome: 'failure', failedOver: true }]);
  });

  it('still tries candidates whose window is unknown', async () => {
    const f = fixture({ candidates: [A, C, D], contextWindow });
    f.on('a', overflow());
    f.on('c', overflow());
    f.on('d', ok());
    expect(served(await runAttempts(f.options)).candidate).toBe(D);
    expect(f.calls).toEqual(['a', 'c', 'd']);
  });

  it('rules nothing out when the overflowing candidate had no known window', async () => {
    const f = fixture({ candidates: [D, A], contextWindow });
    f.on('d', overflow());
    f.on('a', ok());
    expect(served(await runAttempts(f.options)).candidate).toBe(A);
  });
});

describe('runAttempts: same provider again', () => {
  it('re-queues the candidate right after itself, settling the breaker neutral', async () => {
    const retrySameProvider = vi.fn((c: Candidate, fl: UpstreamFailure) => c.provider === 'a' && fl.kind === 'status' && retrySameProvider.mock.calls.length === 1);
    const f = fixture({ retrySameProvider });
    f.on('a', status(429), status(401));
    f.on('b', ok());
    const r = served(await runAttempts(f.options));
    expect(f.calls).toEqual(['a', 'a', 'b']);
    expect(r.attempts.map((a) => `${a.provider}:${a.result}`)).toEqual(['a:failure', 'a:failure', 'b:success']);
    expect(retrySameProvider).toHaveBeenCalledTimes(2);
    expect(f.settlements()).toEqual([
      ['a', 'neutral'],
      ['a', 'failure'],
    ]);
    expect(f.reported).toEqual([
      { provider: 'a', outcome: 'failure', failedOver: true },
      { provider: 'a', outcome: 'failure', failedOver: true },
    ]);
  });

  it('serves from the same provider when its next key works', async () => {
    const f = fixture({ retrySameProvider: () => true });
    f.on('a', status(401), ok('second key'));
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(A);
    expect(r.value).toBe('second key');
    expect(f.calls).toEqual(['a', 'a']);
  });

  it('the re-queued try counts against max attempts', async () => {
    const f = fixture({ maxAttempts: 1, retrySameProvider: () => true });
    f.on('a', status(429));
    const r = exhausted(await runAttempts(f.options));
    expect(r.attempts.map((a) => `${a.provider}:${a.result}:${a.detail}`)).toEqual([
      'a:failure:HTTP 429',
      'a:skipped:attempt limit reached',
      'b:skipped:attempt limit reached',
      'c:skipped:attempt limit reached',
    ]);
  });
});

describe('runAttempts: Retry-After second pass', () => {
  it('waits out a short Retry-After and tries that provider once more', async () => {
    const f = fixture();
    f.on('a', status(503, { retryAfterMs: 5 }), ok('after the wait'));
    f.on('b', status(500));
    f.on('c', status(500));
    const r = served(await runAttempts(f.options));
    expect(r.candidate).toBe(A);
    expect(r.value).toBe('after the wait');
    expect(f.calls).toEqual(['a', 'b', 'c', 'a']);
    expect(r.upstreamMs).toBeGreaterThanOrEqual(r.latencyMs);
    expect(f.signal.listening).toBe(1); // the served attempt's, until finish
  });

  it('retries each short Retry-After provider once, in order, after the shortest wait', async () => {
    const f = fixture();
    f.on('a', status(429, { retryAfterMs: 20 }), status(429, { retryAfterMs: 20 }));
    f.on('b', status(500));
    f.on('c', status(503, { retryAfterMs: 5 }), status(503, { retryAfterMs: 5 }));
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual(['a', 'b', 'c', 'a', 'c']);
    expect(r.retryAfterMs).toBe(5);
    expect(f.signal.listening).toBe(0);
  });

  it('does not wait for a Retry-After longer than maxRetryAfterMs', async () => {
    const f = fixture({ candidates: [A] });
    f.on('a', status(429, { retryAfterMs: 60_000 }));
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual(['a']);
    expect(r).toMatchObject({ retryAfterMs: 60_000, allRateLimited: true });
  });

  it('does not wait when the wait would pass the deadline', async () => {
    const f = fixture({ candidates: [A], deadline: Date.now() + 1000, maxRetryAfterMs: 5000 });
    f.on('a', status(503, { retryAfterMs: 2000 }));
    expect(exhausted(await runAttempts(f.options)).retryAfterMs).toBe(2000);
    expect(f.calls).toEqual(['a']);
  });

  it('does not wait when no attempts are left', async () => {
    const f = fixture({ candidates: [A, B], maxAttempts: 2 });
    f.on('a', status(503, { retryAfterMs: 5 }));
    f.on('b', status(503, { retryAfterMs: 5 }));
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual(['a', 'b']);
    expect(r.attempts.map((a) => a.result)).toEqual(['failure', 'failure']); // no second pass of skips
  });

  it('goes through the breaker gate again on the second pass', async () => {
    const f = fixture({ candidates: [A] }, { failureThreshold: 1, cooldownMs: 1000 });
    f.on('a', status(503, { retryAfterMs: 5 }));
    const r = exhausted(await runAttempts(f.options));
    expect(f.calls).toEqual(['a']);
    expect(r.attempts.map((a) => `${a.result}:${a.detail}`)).toEqual(['failure:HTTP 503', 'skipped:circuit open']);
    expect(r.retryAfterMs).toBe(5);
  });
});

describe('runAttempts: client abort', () => {
  it('before the first attempt: aborted, nothing tried', async () => {
    const f = fixture();
    f.signal.abort('client gone');
    expect(await runAttempts(f.options)).toEqual({ kind: 'aborted', attempts: [] });
    expect(f.calls).toEqual([]);
  });

  it('between attempts: aborted, the rest not tried', async () => {
    const f = fixture({ onAttempt: () => f.signal.abort('client gone') });
    f.on('a', status(500));
    const r = await runAttempts(f.options);
    expect(r).toEqual({ kind: 'aborted', attempts: [{ provider: 'a', model: 'model-a', result: 'failure', detail: 'HTTP 500' }] });
    expect(f.calls).toEqual(['a']);
  });

  it('during an attempt: cancels it and settles its probe neutral', async () => {
    const f = fixture({}, { failureThreshold: 1, cooldownMs: 1000 });
    f.open('a');
    f.advance(1000);
    f.on('a', (cancel) => {
      f.signal.abort('client gone');
      return hangs(cancel);
    });
    expect(await runAttempts(f.options)).toEqual({ kind: 'aborted', attempts: [] });
    expect(f.cancels[0]!.reason).toBe('client gone');
    expect(f.settlements()).toEqual([['a', 'neutral']]);
    // Neutral: the breaker is not re-opened and the next request may probe.
    expect(f.store.getBreaker('a')).toMatchObject({ state: 'half_open', probeInFlight: false });
    expect(f.reported).toEqual([]);
    expect(f.signal.listening).toBe(0);
  });

  it('during an attempt that then succeeds: aborted all the same', async () => {
    const f = fixture();
    f.on('a', async () => {
      f.signal.abort('client gone');
      return ok();
    });
    expect(await runAttempts(f.options)).toEqual({ kind: 'aborted', attempts: [] });
    expect(f.settlements()).toEqual([['a', 'neutral']]);
    expect(f.signal.listening).toBe(0);
  });

  it('before a Retry-After wait: does not wait, ends aborted', async () => {
    const f = fixture({ candidates: [A], maxRetryAfterMs: 20_000, onAttempt: () => f.signal.abort('client gone') });
    f.on('a', status(503, { retryAfterMs: 10_000 }));
    const r = await runAttempts(f.options);
    expect(r).toEqual({ kind: 'aborted', attempts: [{ provider: 'a', model: 'model-a', result: 'failure', detail: 'HTTP 503' }] });
    expect(f.signal.listening).toBe(0);
  }, 2000);

  it('during a Retry-After wait: stops waiting and ends aborted', async () => {
    const f = fixture({ candidates: [A], maxRetryAfterMs: 20_000 });
    f.on('a', async () => {
      setTimeout(() => f.signal.abort('client gone'), 1);
      return status(503, { retryAfterMs: 10_000 });
    });
    const r = await runAttempts(f.options);
    expect(r).toEqual({ kind: 'aborted', attempts: [{ provider: 'a', model: 'model-a', result: 'failure', detail: 'HTTP 503' }] });
    expect(f.calls).toEqual(['a']);
    expect(f.signal.listening).toBe(0);
  }, 2000);
});

describe('runAttempts: exhausted', () => {
  it('all timed out', async () => {
    const f = fixture();
    for (const p of ['a', 'b', 'c']) f.on(p, fail({ kind: 'timeout', detail: 'slow' }));
    const r = exhausted(await runAttempts(f.options));
    expect(r).toMatchObject({ allTimedOut: true, allRateLimited: false });
    expect(r.retryAfterMs).toBeUndefined();
    expect(f.reported.map((x) => x.failedOver)).toEqual([true, true, true]);
  });

  it('all rate limited, with the shortest Retry-After', async () => {
    const f = fixture();
    f.on('a', status(429, { retryAfterMs: 60_000 }));
    f.on('b', status(429));
    f.on('c', status(429, { retryAfterMs: 30_000 }));
    const r = exhausted(await runAttempts(f.options));
    expect(r).toMatchObject({ allTimedOut: false, allRateLimited: true, retryAfterMs: 30_000 });
  });

  it('429 and 503 are not all rate limited', async () => {
    const f = fixture({ candidates: [A, B] });
    f.on('a', status(429));
    f.on('b', status(503));
    expect(exhausted(await runAttempts(f.options))).toMatchObject({ allTimedOut: false, allRateLimited: false });
  });

  it('mixed failures set neither flag', async () => {
    const f = fixture();
    f.on('a', fail({ kind: 'timeout', detail: 'slow' }));
    f.on('b', status(429));
    f.on('c', status(500));
    const r = exhausted(await runAttempts(f.options));
    expect(r).toMatchObject({ allTimedOut: false, allRateLimited: false });
    expect(r.attempts.map((a) => a.result)).toEqual(['failure', 'failure', 'failure']);
    expect(f.settlements()).toEqual([
      ['a', 'failure'],
      ['b', 'failure'],
      ['c', 'failure'],
    ]);
  });
});

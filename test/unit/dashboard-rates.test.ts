import { describe, expect, it } from 'vitest';
import { RateSampler } from '../../src/http/dashboard/rates.js';
import { ProviderStats } from '../../src/telemetry/stats.js';

describe('RateSampler (fleet per-minute rates from cumulative counters)', () => {
  it('gives no rate until a reading is 5 s old, then the difference scaled to a minute', () => {
    const r = new RateSampler();
    expect(r.observe('a', 0, 100, 10)).toBeUndefined();
    expect(r.observe('a', 4_000, 104, 10)).toBeUndefined();
    expect(r.observe('a', 30_000, 130, 13)).toEqual({ requests: 60, failures: 6 });
  });

  it('looks back about one minute: older readings are dropped', () => {
    const r = new RateSampler();
    r.observe('a', 0, 0, 0);
    r.observe('a', 60_000, 600, 0);
    // The reading at 60 s is now the start of the window: 100 requests in 60 s.
    expect(r.observe('a', 120_000, 700, 0)).toEqual({ requests: 100, failures: 0 });
    expect(r.observe('b', 120_000, 5, 0)).toBeUndefined();
  });
});

describe('ProviderStats.lastMinute', () => {
  it('counts the attempts of the last minute only', () => {
    const s = new ProviderStats();
    s.recordAttempt('success', 10, 0);
    s.recordAttempt('failure', 10, 100_000);
    s.recordAttempt('success', 10, 110_000);
    s.recordAttempt('rejected', 10, 110_000);
    expect(s.lastMinute(120_000)).toEqual({ successes: 1, failures: 1 });
    expect(s.recentOutcomes(120_000)).toEqual({ successes: 2, failures: 1 });
  });
});

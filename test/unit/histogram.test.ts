import { describe, expect, it } from 'vitest';
import { LatencyHistogram, RollingHistogram } from '../../src/telemetry/histogram.js';

describe('latency histogram', () => {
  it('gives quantiles within 2% of the exact values', () => {
    const h = new LatencyHistogram();
    const values = Array.from({ length: 10_000 }, (_, i) => 0.5 + i * 0.37);
    for (const v of values) h.record(v);
    for (const q of [0.5, 0.95, 0.99]) {
      const exact = values[Math.ceil(q * values.length) - 1]!;
      expect(Math.abs(h.quantile(q)! - exact) / exact).toBeLessThan(0.02);
    }
  });

  it('merges exactly: two halves give the quantiles of the whole', () => {
    const whole = new LatencyHistogram();
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 1; i <= 1000; i++) {
      whole.record(i);
      (i % 2 ? a : b).record(i);
    }
    a.merge(b);
    expect(a.total).toBe(1000);
    expect([a.quantile(0.5), a.quantile(0.99)]).toEqual([whole.quantile(0.5), whole.quantile(0.99)]);
  });

  it('is empty before anything is recorded', () => {
    expect(new LatencyHistogram().quantile(0.5)).toBeUndefined();
  });

  it('forgets slices that fall out of the rolling window', () => {
    const r = new RollingHistogram(1000, 5);
    r.record(100, 0);
    r.record(1, 4500);
    expect(r.snapshot(4500).total).toBe(2);
    expect(r.snapshot(5500).total).toBe(1);
    expect(r.snapshot(5500).quantile(0.5)).toBeCloseTo(1, 1);
    r.record(7, 5600); // reuses slot 0: the old value must not leak into it
    expect(r.snapshot(5600).total).toBe(2);
  });
});

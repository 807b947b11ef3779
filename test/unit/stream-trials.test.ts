import { describe, expect, it } from 'vitest';
import { eachTrial, foldTrials, medianFigures, type Trial } from '../../bench/stream-trials.js';
import type { StreamFigures } from '../../bench/streams.js';

const latency = (p99: number) => ({ p50: p99 / 10, p99, max: p99 * 2, n: 100 });

function figures(over: Partial<StreamFigures> = {}): StreamFigures {
  return {
    target: 'gateway',
    state: 'cold',
    count: 9000,
    maxOpen: 9000,
    completed: 9000,
    failed: 0,
    errorSummary: 'none',
    ttfb: latency(100),
    delay: latency(10),
    idleRssMb: 80,
    peakRssMb: 300,
    hwmMb: 300,
    rssPerStreamKb: 24,
    eldP99Ms: 20,
    upstreamEldP99Ms: 5,
    clientEldP99Ms: 7,
    cpuPct: { target: 70, upstream: 30, loadgen: 35 },
    helperSharePct: 20,
    machine: { busyPct: 130, cpuWaitPct: 20 },
    seconds: 18,
    ...over,
  };
}

describe('streams trials folded into medians (bench/stream-trials.ts)', () => {
  it('takes the median trial of each figure, not the mean and not the best', () => {
    const m = medianFigures([
      figures({ maxOpen: 9000, delay: latency(50), cpuPct: { target: 60, upstream: 30, loadgen: 35 } }),
      figures({ maxOpen: 5400, delay: latency(400), cpuPct: { target: 90, upstream: 30, loadgen: 35 } }),
      figures({ maxOpen: 8600, delay: latency(60), cpuPct: { target: 70, upstream: 30, loadgen: 35 } }),
    ]);
    expect(m.maxOpen).toBe(8600);
    expect(m.delay.p99).toBe(60);
    expect(m.delay.max).toBe(120);
    expect(m.cpuPct.target).toBe(70);
    expect(m.target).toBe('gateway');
    expect(m.count).toBe(9000);
  });

  it('keeps what must hold in every trial: the fewest completed, every failure, each failing trial named', () => {
    const m = medianFigures([figures(), figures({ completed: 8990, failed: 10, errorSummary: 'UND_ERR_SOCKET 10' }), figures({ completed: 8999, failed: 1, errorSummary: 'ECONNRESET 1' })]);
    expect(m.completed).toBe(8990);
    expect(m.failed).toBe(11);
    expect(m.errorSummary).toBe('trial 2: UND_ERR_SOCKET 10; trial 3: ECONNRESET 1');
  });

  it('with one trial gives that trial back, and with none refuses', () => {
    const one = figures({ maxOpen: 7000 });
    expect(medianFigures([one])).toEqual({ ...one, errorSummary: '' });
    expect(() => medianFigures([])).toThrow(/at least one trial/);
  });

  it('folds each target and state on its own and lists a figure trial by trial', () => {
    const trial = (bareOpen: number, gatewayOpen: number): Trial => ({
      cold: { bare: figures({ target: 'bare proxy', maxOpen: bareOpen }), gateway: figures({ maxOpen: gatewayOpen }) },
      warm: { bare: figures({ target: 'bare proxy', state: 'warm' }), gateway: figures({ state: 'warm', maxOpen: 8999 }) },
    });
    const trials = [trial(9000, 8000), trial(8800, 9000), trial(9000, 9000)];
    const folded = foldTrials(trials);
    expect(folded.cold.bare.maxOpen).toBe(9000);
    expect(folded.cold.gateway.maxOpen).toBe(9000);
    expect(folded.warm.gateway.maxOpen).toBe(8999);
    expect(folded.warm.gateway.state).toBe('warm');
    expect(eachTrial(trials, 'cold', 'gateway', (x) => x.maxOpen)).toEqual([8000, 9000, 9000]);
    expect(eachTrial(trials, 'cold', 'bare', (x) => x.maxOpen)).toEqual([9000, 8800, 9000]);
  });
});

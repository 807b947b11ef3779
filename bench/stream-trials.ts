/**
 * Several trials of one streams scenario folded into one set of figures. On a shared 2-core machine a
 * single cold run of 9,000 streams spreads from 5,400 to 9,000 open at once for the same build (the bare
 * proxy as much as the gateway), so one run cannot say whether a target is met: each figure is the
 * median of the trials, and the trials themselves stay in the result to show the spread.
 */
import { type Latency, median } from './load.js';
import type { StreamFigures } from './streams.js';

/** One trial of a scenario: a cold and a warm run, each against both targets. */
export interface Trial {
  cold: { bare: StreamFigures; gateway: StreamFigures };
  warm: { bare: StreamFigures; gateway: StreamFigures };
}

/**
 * The median of every figure over the trials of one target in one state. The exceptions keep what
 * must hold in every trial: `completed` is the fewest any trial completed, `failed` the sum of all
 * trials' failures, and `errorSummary` lists each trial's errors.
 *
 * @example
 * const cold = medianFigures(trials.map((t) => t.cold.gateway)); // cold.maxOpen: the median trial's
 */
export function medianFigures(trials: readonly StreamFigures[]): StreamFigures {
  const first = trials[0];
  if (!first) throw new Error('medianFigures needs at least one trial');
  const m = (pick: (x: StreamFigures) => number): number => median(trials.map(pick));
  const latency = (pick: (x: StreamFigures) => Latency): Latency => ({
    p50: m((x) => pick(x).p50),
    p99: m((x) => pick(x).p99),
    max: m((x) => pick(x).max),
    n: m((x) => pick(x).n),
  });
  return {
    target: first.target,
    state: first.state,
    count: first.count,
    maxOpen: m((x) => x.maxOpen),
    completed: Math.min(...trials.map((x) => x.completed)),
    failed: trials.reduce((n, x) => n + x.failed, 0),
    errorSummary: trials
      .map((x, i) => (x.failed > 0 ? `trial ${i + 1}: ${x.errorSummary}` : ''))
      .filter(Boolean)
      .join('; '),
    ttfb: latency((x) => x.ttfb),
    delay: latency((x) => x.delay),
    idleRssMb: m((x) => x.idleRssMb),
    peakRssMb: m((x) => x.peakRssMb),
    hwmMb: m((x) => x.hwmMb),
    rssPerStreamKb: m((x) => x.rssPerStreamKb),
    eldP99Ms: m((x) => x.eldP99Ms),
    upstreamEldP99Ms: m((x) => x.upstreamEldP99Ms),
    clientEldP99Ms: m((x) => x.clientEldP99Ms),
    cpuPct: { target: m((x) => x.cpuPct.target), upstream: m((x) => x.cpuPct.upstream), loadgen: m((x) => x.cpuPct.loadgen) },
    helperSharePct: m((x) => x.helperSharePct),
    machine: { busyPct: m((x) => x.machine.busyPct), cpuWaitPct: m((x) => x.machine.cpuWaitPct) },
    seconds: m((x) => x.seconds),
  };
}

/**
 * The trials' cold and warm runs folded into medians, target by target.
 *
 * @example
 * const { cold, warm } = foldTrials(trials); // cold.gateway.delay.p99: the median of the trials' p99s
 */
export function foldTrials(trials: readonly Trial[]): Pick<Trial, 'cold' | 'warm'> {
  return {
    cold: { bare: medianFigures(trials.map((t) => t.cold.bare)), gateway: medianFigures(trials.map((t) => t.cold.gateway)) },
    warm: { bare: medianFigures(trials.map((t) => t.warm.bare)), gateway: medianFigures(trials.map((t) => t.warm.gateway)) },
  };
}

/**
 * One figure of one target in one state, trial by trial (the spread behind a median).
 *
 * @example
 * eachTrial(trials, 'cold', 'gateway', (x) => x.maxOpen); // [9000, 8564, 9000]
 */
export function eachTrial(trials: readonly Trial[], state: 'cold' | 'warm', target: 'bare' | 'gateway', pick: (x: StreamFigures) => number): number[] {
  return trials.map((t) => pick(t[state][target]));
}

/**
 * Event-loop delay of a bench child (the bare proxy, the streaming fake upstream), served on a path its
 * own server answers: `GET /bench/eld` returns the p50/p99/max since the last read (ms) and resets.
 * Same sampling as prom-client's default metrics in the gateway (10 ms resolution), so the figures compare.
 */
import type { ServerResponse } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** The path a child answers its event-loop delay on. */
export const ELD_PATH = '/bench/eld';

/** Event-loop delay figures in ms. */
export interface EldFigures {
  p50: number;
  p99: number;
  max: number;
}

const histogram = monitorEventLoopDelay({ resolution: 10 });
histogram.enable();

/** Answers `GET /bench/eld` with the figures since the last read, then starts a new window. */
export function answerEld(res: ServerResponse): void {
  const body: EldFigures = { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
  histogram.reset();
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

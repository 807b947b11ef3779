import { setFlagsFromString } from 'node:v8';

// The young generation is capped on the command line instead (`--max-semi-space-size=8` in the bin's
// shebang and in `npm start`): V8 sizes it once, when the process starts. Its default cap (16 MB per
// semi-space) let a gateway under load hold 32 MB of young objects; at 8 MB peak RSS fell a further 16
// MB for under 1% more CPU in 2-second rounds, and at 4 MB the CPU cost grew to about 10%.

/**
 * How far V8 lets the old generation grow past what survived the last full collection before it
 * collects again, in per cent, for `switchyard serve`. V8's own heuristic lets it grow up to 4x under a
 * high allocation rate: for a gateway, whose live heap is small (about 25 MB) and whose garbage is
 * short-lived request objects, that is 50-70 MB of dead objects held between collections. At 30%
 * peak RSS under a closed loop fell from 169 to 115 MB (99-103 MB with the young generation capped too), for
 * 1.5% more CPU per request in 2-second rounds and 4.6% in 8-second ones with both; at 60%, 107 MB for 3.0%.
 */
export const SERVE_HEAP_GROWING_PERCENT = 30;

const FLAG = /^--heap[-_]growing[-_]percent(=|$)/;

/**
 * The V8 flag `serve` sets at start, or undefined when the operator already chose one on node's command
 * line (theirs wins; node refuses this flag in NODE_OPTIONS). Pure, for tests.
 *
 * @example
 * heapFlagFor(['--max-semi-space-size=8']);   // '--heap-growing-percent=30'
 * heapFlagFor(['--heap-growing-percent=50']); // undefined
 */
export function heapFlagFor(execArgv: readonly string[]): string | undefined {
  if (execArgv.some((a) => FLAG.test(a))) return undefined;
  return `--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`;
}

/**
 * Applies `heapFlagFor` to this process. Only the CLI calls it (first thing, from tune-heap.ts): an
 * application that embeds the library keeps its own heap settings.
 */
export function tuneHeapForServing(): void {
  const flag = heapFlagFor(process.execArgv);
  if (flag) setFlagsFromString(flag);
}

import { setFlagsFromString } from 'node:v8';
import { adaptHeapHeadroom, SMALL_HEAP_HEADROOM } from './heap-headroom.js';

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
 * It is where `serve` starts: the headroom then follows the live heap (heap-headroom.ts).
 */
export const SERVE_HEAP_GROWING_PERCENT = SMALL_HEAP_HEADROOM;

const HEAP_FLAG = /^--heap[-_]growing[-_]percent(=|$)/;
const WASM_TIER_FLAG = /^--(no-)?(liftoff|liftoff[-_]only|wasm[-_]tier[-_]up)(=|$)/;
const PRETENURING_FLAG = /^--(no-)?allocation[-_]site[-_]pretenuring(=|$)/;

/**
 * WebAssembly compiled by the baseline compiler only. undici's HTTP parser (llhttp) is WebAssembly:
 * its optimising compile took 30 MB of memory at once, at the first upstream call, and kept 9 MB (RSS
 * high-water mark 84 against 55 MB in a bare process), and the optimised parser saved nothing
 * measurable (ab.js: 0.994x the CPU per request without it).
 */
export const SERVE_WASM_FLAG = '--liftoff-only';

/**
 * Every object allocated in the young generation first. V8 watches how many objects of each allocation
 * site survive a scavenge and, past a threshold, allocates that site's objects straight in the old
 * generation. A gateway's request state (the attempt, its promises and hooks, undici's request) lives
 * as long as the upstream takes to answer, so under load much of it is still alive at a scavenge: V8
 * then pretenured those sites, and every request's state went to the old generation to die there,
 * collected by a full mark-compact about every 200 ms (35 in 8 s against 6 without, one-event streams
 * at 64 in flight; the bare proxy: none). Without pretenuring those objects die young, as they are:
 * 90 against 130 us of CPU per one-event stream in that loop.
 */
export const SERVE_PRETENURING_FLAG = '--no-allocation-site-pretenuring';

/**
 * The V8 flags `serve` sets at start, each unless the operator already chose one of its kind on node's
 * command line (theirs wins; node refuses these flags in NODE_OPTIONS). Pure, for tests.
 *
 * @example
 * v8FlagsFor(['--max-semi-space-size=8']);   // ['--heap-growing-percent=30', '--liftoff-only', '--no-allocation-site-pretenuring']
 * v8FlagsFor(['--heap-growing-percent=50']); // ['--liftoff-only', '--no-allocation-site-pretenuring']
 */
export function v8FlagsFor(execArgv: readonly string[]): string[] {
  const flags: string[] = [];
  if (!execArgv.some((a) => HEAP_FLAG.test(a))) flags.push(`--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`);
  if (!execArgv.some((a) => WASM_TIER_FLAG.test(a))) flags.push(SERVE_WASM_FLAG);
  if (!execArgv.some((a) => PRETENURING_FLAG.test(a))) flags.push(SERVE_PRETENURING_FLAG);
  return flags;
}

/**
 * Applies `v8FlagsFor` to this process and, when the headroom is its to set, has it follow the live
 * heap (`adaptHeapHeadroom`). Only the CLI calls it (first thing, from tune-v8.ts): an application that
 * embeds the library keeps its own V8 settings.
 */
export function tuneV8ForServing(): void {
  const flags = v8FlagsFor(process.execArgv);
  for (const flag of flags) setFlagsFromString(flag);
  if (flags.some((f) => HEAP_FLAG.test(f))) adaptHeapHeadroom();
}

import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';

/** Headroom (per cent past the live heap) while the live heap is small: the closed loop's peak RSS. */
export const SMALL_HEAP_HEADROOM = 30;
/** Headroom once many streams are open: the live heap is mostly theirs, and marking it is what costs. */
export const LARGE_HEAP_HEADROOM = 100;
/** Live heap (MB, after a full collection) from which the large headroom applies... */
export const LARGE_HEAP_FROM_MB = 64;
/** ...and under which the small one applies again (apart, so that one collection's noise does not flip it). */
export const SMALL_HEAP_BELOW_MB = 48;

/**
 * The old generation's headroom for a live heap of `liveMb` after a full collection, given the one in
 * force. Pure, for tests.
 *
 * Why two: V8 collects the old generation once it has grown its headroom past what survived the last
 * full collection, and marking is proportional to what is live, so the CPU spent marking is the
 * promotion rate over the headroom, whatever the heap's size, while the memory the headroom costs is
 * the headroom times the live heap. A gateway holding few streams has a small live heap (about 25 MB
 * under a closed loop), where 30% keeps its peak RSS low; one holding thousands of streams has a large
 * one (some 20 kB each), where 30% meant a full collection every few seconds, marking the streams over
 * and over on the helper threads.
 *
 * @example
 * headroomFor(25, 30);  // 30
 * headroomFor(180, 30); // 100
 * headroomFor(56, 100); // 100: not yet under 48 MB
 */
export function headroomFor(liveMb: number, current: number): number {
  if (liveMb >= LARGE_HEAP_FROM_MB) return LARGE_HEAP_HEADROOM;
  if (liveMb < SMALL_HEAP_BELOW_MB) return SMALL_HEAP_HEADROOM;
  return current;
}

/** A GC entry's detail names its kind (Node's perf_hooks). */
function isFullCollection(entry: PerformanceEntry): boolean {
  return (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR;
}

/** The headroom `adaptHeapHeadroom` keeps. */
export interface HeapHeadroom {
  /** The headroom in force, in per cent. */
  readonly percent: number;
  /** Stops following the live heap; the last headroom set stays. */
  stop(): void;
}

/**
 * Sets the headroom (`--heap-growing-percent`) after each full collection from the live heap it left:
 * V8 reads the flag when it sizes the next limit, at the end of each full collection. Only `serve`
 * calls it (from tune-v8.ts), and only when the operator set no headroom of their own. The observer
 * does not keep the process alive.
 *
 * @example
 * const headroom = adaptHeapHeadroom();
 * headroom.percent; // 30, until a full collection leaves 64 MB or more live
 * headroom.stop();
 */
export function adaptHeapHeadroom(): HeapHeadroom {
  let percent = SMALL_HEAP_HEADROOM;
  setFlagsFromString(`--heap-growing-percent=${percent}`);
  const observer = new PerformanceObserver((list) => {
    if (!list.getEntries().some(isFullCollection)) return;
    const next = headroomFor(getHeapStatistics().used_heap_size / 1048576, percent);
    if (next === percent) return;
    percent = next;
    setFlagsFromString(`--heap-growing-percent=${percent}`);
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    get percent() {
      return percent;
    },
    stop: () => observer.disconnect(),
  };
}

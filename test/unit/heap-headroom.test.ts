import { setFlagsFromString } from 'node:v8';
import { afterAll, describe, expect, it } from 'vitest';
import { adaptHeapHeadroom, headroomFor, LARGE_HEAP_HEADROOM, SMALL_HEAP_HEADROOM } from '../../src/cli/heap-headroom.js';
import { fullCollection } from '../support/gc.js';

/** Resolves once `check` holds; the observer hears of a collection asynchronously. */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
}

afterAll(() => setFlagsFromString('--heap-growing-percent=0')); // V8's own heuristic again

describe('old generation headroom', () => {
  it('is small for a small live heap, larger from 64 MB, and small again only under 48 MB', () => {
    expect(headroomFor(25, SMALL_HEAP_HEADROOM)).toBe(SMALL_HEAP_HEADROOM);
    expect(headroomFor(63.9, SMALL_HEAP_HEADROOM)).toBe(SMALL_HEAP_HEADROOM);
    expect(headroomFor(64, SMALL_HEAP_HEADROOM)).toBe(LARGE_HEAP_HEADROOM);
    expect(headroomFor(250, SMALL_HEAP_HEADROOM)).toBe(LARGE_HEAP_HEADROOM);
    // Between the two thresholds the headroom in force stays, whichever it is.
    expect(headroomFor(56, LARGE_HEAP_HEADROOM)).toBe(LARGE_HEAP_HEADROOM);
    expect(headroomFor(56, SMALL_HEAP_HEADROOM)).toBe(SMALL_HEAP_HEADROOM);
    expect(headroomFor(47.9, LARGE_HEAP_HEADROOM)).toBe(SMALL_HEAP_HEADROOM);
    expect(LARGE_HEAP_HEADROOM).toBeGreaterThan(SMALL_HEAP_HEADROOM);
  });

  it('follows the live heap that each full collection leaves', async () => {
    const headroom = adaptHeapHeadroom();
    try {
      expect(headroom.percent).toBe(SMALL_HEAP_HEADROOM);
      let held: number[] | undefined = new Array(10_000_000).fill(0.5); // 80 MB of doubles on the heap
      fullCollection();
      await until(() => headroom.percent !== SMALL_HEAP_HEADROOM);
      expect(headroom.percent).toBe(LARGE_HEAP_HEADROOM);
      expect(held.length).toBe(10_000_000);
      held = undefined;
      fullCollection();
      await until(() => headroom.percent !== LARGE_HEAP_HEADROOM);
      expect(headroom.percent).toBe(SMALL_HEAP_HEADROOM);
    } finally {
      headroom.stop();
    }
  });
});

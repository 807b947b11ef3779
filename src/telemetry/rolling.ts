/**
 * Counters over a rolling window of time slices: recording touches the current slice only; reading
 * sums the slices still inside the window.
 */
export class RollingCounter {
  private readonly values: Float64Array;
  private readonly starts: Float64Array;

  constructor(
    readonly sliceMs: number,
    readonly sliceCount: number,
    /** How many separate counters each slice holds (e.g. successes and failures). */
    readonly width = 1,
  ) {
    this.values = new Float64Array(sliceCount * width);
    this.starts = new Float64Array(sliceCount).fill(-1);
  }

  add(field: number, amount: number, now: number): void {
    const start = now - (now % this.sliceMs);
    const i = Math.floor(start / this.sliceMs) % this.sliceCount;
    if (this.starts[i] !== start) {
      this.values.fill(0, i * this.width, (i + 1) * this.width);
      this.starts[i] = start;
    }
    this.values[i * this.width + field]! += amount;
  }

  sum(field: number, now: number): number {
    return this.sumSince(field, now - this.sliceMs * this.sliceCount, now);
  }

  /** The sum over the slices that started after `since` (a shorter window than the whole, e.g. the last minute). */
  sumSince(field: number, since: number, now: number): number {
    const oldest = Math.max(since, now - this.sliceMs * this.sliceCount);
    let total = 0;
    for (let i = 0; i < this.sliceCount; i++) {
      if (this.starts[i]! > oldest && this.starts[i]! <= now) total += this.values[i * this.width + field]!;
    }
    return total;
  }
}

/**
 * Log-scaled latency histogram: bucket i holds values in (GAMMA^(i-1), GAMMA^i] * MIN_MS, so every
 * quantile is within ~2% of the truth. Two histograms merge by adding bucket counts, which is what lets
 * instances (and time slices) add up exactly.
 */
const GAMMA = 1.04;
const LOG_GAMMA = Math.log(GAMMA);
const MIN_MS = 0.001;
export const BUCKETS = 600; // MIN_MS * GAMMA^600 ≈ 16,000 s

export function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  return Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GAMMA));
}

/** Representative value of a bucket: the geometric middle of its bounds. */
export function bucketValue(bucket: number): number {
  if (bucket === 0) return MIN_MS;
  return MIN_MS * GAMMA ** (bucket - 0.5);
}

export class LatencyHistogram {
  readonly counts = new Uint32Array(BUCKETS);
  total = 0;

  record(ms: number): void {
    this.counts[bucketOf(ms)]! += 1;
    this.total += 1;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
  }

  clear(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  /** q in [0, 1]; undefined when empty. */
  quantile(q: number): number | undefined {
    if (this.total === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return bucketValue(i);
    }
    return bucketValue(BUCKETS - 1);
  }
}

/**
 * A rolling window of histograms, one per time slice: recording touches only the current slice, and
 * reading merges the slices still inside the window.
 */
export class RollingHistogram {
  private readonly slices: LatencyHistogram[];
  private readonly sliceStart: number[];

  constructor(
    readonly sliceMs = 10_000,
    readonly sliceCount = 30,
  ) {
    this.slices = Array.from({ length: sliceCount }, () => new LatencyHistogram());
    this.sliceStart = new Array<number>(sliceCount).fill(-1);
  }

  record(ms: number, now = Date.now()): void {
    const start = now - (now % this.sliceMs);
    const i = Math.floor(start / this.sliceMs) % this.sliceCount;
    if (this.sliceStart[i] !== start) {
      this.slices[i]!.clear();
      this.sliceStart[i] = start;
    }
    this.slices[i]!.record(ms);
  }

  /** All slices within the window, merged into one histogram. */
  snapshot(now = Date.now()): LatencyHistogram {
    const out = new LatencyHistogram();
    const oldest = now - this.sliceMs * this.sliceCount;
    for (let i = 0; i < this.sliceCount; i++) {
      if (this.sliceStart[i]! > oldest) out.merge(this.slices[i]!);
    }
    return out;
  }
}

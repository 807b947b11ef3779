/** One reading of a provider's cumulative counts. */
interface Sample {
  at: number;
  requests: number;
  failures: number;
}

export interface PerMinute {
  requests: number;
  failures: number;
}

/** How far back a rate looks, and how old the oldest reading must be before a rate is given. */
const WINDOW_MS = 60_000;
const MIN_SPAN_MS = 5_000;

/**
 * Per-minute rates from cumulative counts read over time: with Redis the fleet's counters are totals
 * since the beginning, so the rate is their difference across the readings of the last minute. Each
 * read of the overview adds a reading; until one is at least 5 s old there is no rate (undefined).
 *
 * @example
 * const rates = new RateSampler();
 * rates.observe('openai', 0, 100, 2);
 * rates.observe('openai', 30_000, 130, 2); // { requests: 60, failures: 0 }
 */
export class RateSampler {
  private readonly samples = new Map<string, Sample[]>();

  /** Records a reading and answers the rate since the oldest reading of the last minute. */
  observe(provider: string, at: number, requests: number, failures: number): PerMinute | undefined {
    let list = this.samples.get(provider);
    if (!list) this.samples.set(provider, (list = []));
    while (list.length > 1 && list[1]!.at <= at - WINDOW_MS) list.shift();
    list.push({ at, requests, failures });
    const first = list[0]!;
    const span = at - first.at;
    if (span < MIN_SPAN_MS) return undefined;
    const scale = 60_000 / span;
    return { requests: round((requests - first.requests) * scale), failures: round((failures - first.failures) * scale) };
  }
}

const round = (x: number) => Math.max(0, Math.round(x * 10) / 10);

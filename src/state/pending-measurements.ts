import { bucketOf } from '../telemetry/histogram.js';
import { ProviderStats } from '../telemetry/stats.js';
import type { UsageRow } from '../telemetry/usage-ledger.js';
import type { Batch } from './redis-batch.js';

export const SLICE_MS = 10_000;
export const WINDOW_MS = ProviderStats.windowSeconds * 1000;
export const USAGE_TTL_S = 400 * 86_400;
export type Kind = 'latency' | 'ttft';
export const COUNT_FIELDS = ['requests', 'successes', 'failures', 'rejected', 'prompt_tokens', 'completion_tokens', 'cost_usd'] as const;
export type Counts = Record<(typeof COUNT_FIELDS)[number], number>;
/** Results of a pipeline, or the first command error thrown (a pipeline reports errors per command). */
export async function run(p: Batch): Promise<Array<[Error | null, unknown]>> {
  const results = (await p.exec()) ?? [];
  const failed = results.find(([err]) => err);
  if (failed) throw failed[0];
  return results;
}

export const zeroCounts = (): Counts => ({ requests: 0, successes: 0, failures: 0, rejected: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 });

/** What this instance measured since its last flush (what RedisMeasurements writes next). */
export class Pending {
  counts = new Map<string, Counts>();
  /** `provider\0model\0kind\0sliceStart` -> bucket -> count */
  latency = new Map<string, Map<number, number>>();
  /** `day\0provider|model` -> row */
  usage = new Map<string, UsageRow>();

  get empty(): boolean {
    return this.counts.size === 0 && this.latency.size === 0 && this.usage.size === 0;
  }

  count(provider: string): Counts {
    let c = this.counts.get(provider);
    if (!c) this.counts.set(provider, (c = zeroCounts()));
    return c;
  }

  observe(provider: string, model: string, kind: Kind, ms: number, now: number): void {
    const key = `${provider}\0${model}\0${kind}\0${now - (now % SLICE_MS)}`;
    let h = this.latency.get(key);
    if (!h) this.latency.set(key, (h = new Map()));
    const b = bucketOf(ms);
    h.set(b, (h.get(b) ?? 0) + 1);
  }

  /** Folds an unflushed batch back in (Redis was unreachable); slices that left the window are dropped. */
  absorb(older: Pending, now: number): void {
    for (const [p, c] of older.counts) for (const f of COUNT_FIELDS) this.count(p)[f] += c[f];
    for (const [k, h] of older.latency) {
      if (Number(k.slice(k.lastIndexOf('\0') + 1)) < now - WINDOW_MS) continue;
      let mine = this.latency.get(k);
      if (!mine) this.latency.set(k, (mine = new Map()));
      for (const [b, n] of h) mine.set(b, (mine.get(b) ?? 0) + n);
    }
    for (const [k, r] of older.usage) {
      const mine = this.usage.get(k);
      if (!mine) this.usage.set(k, { ...r });
      else {
        mine.requests += r.requests;
        mine.prompt_tokens += r.prompt_tokens;
        mine.completion_tokens += r.completion_tokens;
        mine.cost_usd += r.cost_usd;
      }
    }
  }
}

import { LatencyHistogram } from '../telemetry/histogram.js';
import type { PriceTable } from '../telemetry/prices.js';
import { type Outcome, ProviderStats } from '../telemetry/stats.js';
import type { Usage } from '../telemetry/usage.js';
import { dayOf, daysOf, type GroupBy, lineKey, type Period, type UsageRow } from '../telemetry/usage-ledger.js';
import type { RedisKeys } from './keys.js';
import { LocalMeasurements, type Measurements, percentiles, type StatsReport, type UsageReport, usageReport } from './measurements.js';
import { COUNT_FIELDS, type Kind, Pending, run, SLICE_MS, USAGE_TTL_S, WINDOW_MS, zeroCounts } from './pending-measurements.js';
import { Batch } from './redis-batch.js';
import type { RedisClient } from './redis-connection.js';

/**
 * Measurements shared through Redis: recorded in process (LocalMeasurements feeds the strategies and
 * is the fallback), aggregated, and written in one pipelined batch per flush interval. A failed flush
 * keeps its batch for the next one, so an outage loses nothing that still matters and the instance
 * catches up when Redis returns. Reads merge every instance's data (plus this one's unflushed part).
 */
export class RedisMeasurements implements Measurements {
  private readonly own: LocalMeasurements;
  private pending = new Pending();
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  /** Reads under way: a flush waits for them, so that a read never misses a batch on its way to Redis. */
  private readonly readers = new Set<Promise<unknown>>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private providers: ReadonlyArray<{ name: string; rpm_limit?: number; tpm_limit?: number }>,
    private readonly prices: PriceTable,
    readonly instanceId: string,
    private readonly onRedisError: (op: string, err: unknown) => void,
    private readonly onFlush: (ms: number) => void,
  ) {
    this.own = new LocalMeasurements(providers);
  }

  get local() {
    return this.own.local;
  }

  addProviders(providers: ReadonlyArray<{ name: string; rpm_limit?: number; tpm_limit?: number }>): void {
    this.own.addProviders(providers);
    this.providers = providers;
  }

  /** Writes config prices (config wins at start; operators may edit the hash while running) and starts flushing. */
  async start(flushIntervalMs: number): Promise<void> {
    const entries = [...this.prices.entries()];
    if (entries.length > 0) {
      await this.client.hset(this.keys.pricing, Object.fromEntries(entries.map(([k, p]) => [k, JSON.stringify(p)]))).catch((err: unknown) => this.onRedisError('pricing write', err));
    }
    this.timer = setInterval(() => void this.flush().then(() => this.refreshPrices()), flushIntervalMs);
    this.timer.unref();
  }

  recordAttempt(provider: string, model: string, outcome: Outcome, latencyMs: number, now: number): void {
    this.own.recordAttempt(provider, model, outcome, latencyMs, now);
    const c = this.pending.count(provider);
    c.requests += 1;
    c[outcome === 'success' ? 'successes' : outcome === 'failure' ? 'failures' : 'rejected'] += 1;
    this.pending.observe(provider, model, 'latency', latencyMs, now);
  }

  recordFirstChunk(provider: string, model: string, ms: number, now: number): void {
    this.own.recordFirstChunk(provider, model, ms, now);
    this.pending.observe(provider, model, 'ttft', ms, now);
  }

  recordUsage(provider: string, model: string, usage: Usage, costUsd: number, now: number, key?: string): void {
    this.own.recordUsage(provider, model, usage, costUsd, now, key);
    const c = this.pending.count(provider);
    c.prompt_tokens += usage.promptTokens;
    c.completion_tokens += usage.completionTokens;
    c.cost_usd += costUsd;
    const line = `${dayOf(now)}\0${lineKey(provider, model, key)}`;
    const row = this.pending.usage.get(line) ?? { requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 };
    row.requests += 1;
    row.prompt_tokens += usage.promptTokens;
    row.completion_tokens += usage.completionTokens;
    row.cost_usd += costUsd;
    this.pending.usage.set(line, row);
  }

  /** Writes the pending batch in one pipeline; on failure the batch waits for the next flush. */
  flush(): Promise<void> {
    // One under way wrote the batch it took: what came since is written by the next one.
    if (this.flushing) return this.flushing.then(() => this.flush());
    return (this.flushing = Promise.all(this.readers)
      .then(() => this.doFlush())
      .finally(() => (this.flushing = undefined)));
  }

  /** Runs a read of Redis plus this instance's pending part once no flush is moving one to the other. */
  private async read<T>(run: () => Promise<T>): Promise<T> {
    // A flush under way has taken its batch out of `pending` but may not have written it yet.
    while (this.flushing) await this.flushing;
    const r = run();
    this.readers.add(r);
    try {
      return await r;
    } finally {
      this.readers.delete(r);
    }
  }

  private async doFlush(): Promise<void> {
    if (this.pending.empty) return;
    const batch = this.pending;
    this.pending = new Pending();
    const started = performance.now();
    const now = Date.now();
    const p = new Batch(this.client);
    for (const [provider, c] of batch.counts) {
      const key = this.keys.stats(provider);
      for (const f of COUNT_FIELDS) if (c[f] !== 0) f === 'cost_usd' ? p.hincrbyfloat(key, f, c[f]) : p.hincrby(key, f, c[f]);
    }
    for (const [k, h] of batch.latency) {
      const [provider, model, kind, slice] = k.split('\0') as [string, string, Kind, string];
      const key = this.keys.latency(provider, model, kind, Number(slice));
      for (const [b, n] of h) p.hincrby(key, String(b), n);
      p.pexpire(key, WINDOW_MS + 120_000);
      p.sadd(this.keys.latencyModels(provider), model);
    }
    const days = new Set<string>();
    for (const [k, r] of batch.usage) {
      const [day, line] = k.split('\0') as [string, string];
      days.add(day);
      const key = this.keys.usage(day);
      p.hincrby(key, `${line}|requests`, r.requests);
      p.hincrby(key, `${line}|prompt_tokens`, r.prompt_tokens);
      p.hincrby(key, `${line}|completion_tokens`, r.completion_tokens);
      if (r.cost_usd !== 0) p.hincrbyfloat(key, `${line}|cost_usd`, r.cost_usd);
      p.expire(key, USAGE_TTL_S);
    }
    if (days.size > 0) p.sadd(this.keys.usageDays, ...days);
    p.zadd(this.keys.instances, now, this.instanceId);
    try {
      await run(p);
      this.onFlush(performance.now() - started);
    } catch (err) {
      this.pending.absorb(batch, Date.now());
      this.onRedisError('flush', err);
    }
  }

  private async refreshPrices(): Promise<void> {
    try {
      const all = await this.client.hgetall(this.keys.pricing);
      for (const [k, v] of Object.entries(all)) {
        const slash = k.indexOf('/');
        const price = JSON.parse(v) as { input?: unknown; output?: unknown };
        if (slash > 0 && typeof price.input === 'number' && typeof price.output === 'number') {
          this.prices.set(k.slice(0, slash), k.slice(slash + 1), { input: price.input, output: price.output });
        }
      }
    } catch (err) {
      this.onRedisError('pricing read', err);
    }
  }

  stats(now: number): Promise<StatsReport> {
    return this.read(() => this.readStats(now));
  }

  private async readStats(now: number): Promise<StatsReport> {
    try {
      const names = this.providers.map((p) => p.name);
      const head = new Batch(this.client);
      for (const n of names) head.hgetall(this.keys.stats(n)).smembers(this.keys.latencyModels(n));
      const res = await run(head);
      const slices: number[] = [];
      for (let t = now - (now % SLICE_MS); t > now - WINDOW_MS; t -= SLICE_MS) slices.push(t);
      const reads = new Batch(this.client);
      const plan: Array<{ provider: string; kind: Kind }> = [];
      names.forEach((n, i) => {
        for (const model of (res[i * 2 + 1]?.[1] as string[] | undefined) ?? []) {
          for (const kind of ['latency', 'ttft'] as const) {
            for (const s of slices) {
              reads.hgetall(this.keys.latency(n, model, kind, s));
              plan.push({ provider: n, kind });
            }
          }
        }
      });
      const hist = await run(reads);
      const merged = new Map<string, LatencyHistogram>();
      hist.forEach(([err, h], i) => {
        if (err || !h) return;
        const { provider, kind } = plan[i]!;
        const key = `${provider}\0${kind}`;
        let m = merged.get(key);
        if (!m) merged.set(key, (m = new LatencyHistogram()));
        for (const [b, n] of Object.entries(h as Record<string, string>)) {
          m.counts[Number(b)]! += Number(n);
          m.total += Number(n);
        }
      });
      // This instance's unflushed part, so that a read right after a request sees it.
      for (const [k, h] of this.pending.latency) {
        const [provider, , kind, slice] = k.split('\0') as [string, string, Kind, string];
        if (Number(slice) <= now - WINDOW_MS) continue;
        const key = `${provider}\0${kind}`;
        let m = merged.get(key);
        if (!m) merged.set(key, (m = new LatencyHistogram()));
        for (const [b, n] of h) {
          m.counts[b]! += n;
          m.total += n;
        }
      }
      const providers: StatsReport['providers'] = {};
      names.forEach((n, i) => {
        const stored = (res[i * 2]?.[1] as Record<string, string> | undefined) ?? {};
        const mine = this.pending.counts.get(n) ?? zeroCounts();
        const v = (f: (typeof COUNT_FIELDS)[number]) => Number(stored[f] ?? 0) + mine[f];
        providers[n] = {
          requests: v('requests'),
          successes: v('successes'),
          failures: v('failures'),
          rejected: v('rejected'),
          latency_ms: { ...percentiles(merged.get(`${n}\0latency`) ?? new LatencyHistogram()), window_seconds: ProviderStats.windowSeconds },
          first_chunk_ms: percentiles(merged.get(`${n}\0ttft`) ?? new LatencyHistogram()),
          tokens: { prompt: v('prompt_tokens'), completion: v('completion_tokens'), total: v('prompt_tokens') + v('completion_tokens') },
          cost_usd: Math.round(v('cost_usd') * 1e6) / 1e6,
        };
      });
      return { source: 'redis', providers };
    } catch (err) {
      this.onRedisError('stats read', err);
      return this.own.stats(now);
    }
  }

  usage(period: Period, groupBy: GroupBy, now: number): Promise<UsageReport> {
    return this.read(() => this.readUsage(period, groupBy, now));
  }

  private async readUsage(period: Period, groupBy: GroupBy, now: number): Promise<UsageReport> {
    try {
      const window = daysOf(period, now);
      const days = window ?? (await this.client.smembers(this.keys.usageDays));
      const p = new Batch(this.client);
      for (const d of days) p.hgetall(this.keys.usage(d));
      const res = await run(p);
      const lines = new Map<string, UsageRow>();
      const row = (line: string) => {
        let r = lines.get(line);
        if (!r) lines.set(line, (r = { requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 }));
        return r;
      };
      for (const [err, h] of res) {
        if (err || !h) continue;
        for (const [field, value] of Object.entries(h as Record<string, string>)) {
          const cut = field.lastIndexOf('|');
          row(field.slice(0, cut))[field.slice(cut + 1) as keyof UsageRow] += Number(value);
        }
      }
      for (const [k, r] of this.pending.usage) {
        const [day, line] = k.split('\0') as [string, string];
        if (window && !window.includes(day)) continue;
        const into = row(line);
        into.requests += r.requests;
        into.prompt_tokens += r.prompt_tokens;
        into.completion_tokens += r.completion_tokens;
        into.cost_usd += r.cost_usd;
      }
      return usageReport('redis', period, groupBy, lines);
    } catch (err) {
      this.onRedisError('usage read', err);
      return this.own.usage(period, groupBy, now);
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}

/**
 * RSS flatness (issue 16): a fresh gateway in front of the fake upstream takes N requests in a closed
 * loop; its RSS (VmRSS) is sampled every 250 ms and its V8 heap (from its /metrics) after every `step`
 * requests; the growth of the windows' mean RSS from the first 100k to the last is the figure. `BENCH_LONG=1`: 1,000,000 requests (minutes);
 * by default 300,000 (100k -> 300k, about a minute). `BENCH_RSS=0` skips the phase. Below 300k
 * requests (BENCH_RSS_REQUESTS, a smoke run) the samples are a third of the total apart.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { chatOnce, Errors } from './load.js';
import { oneProviderConfig, serveGateway, statusKb, stopChild } from './proc.js';

/**
 * One window of `step` requests: requests served at its end, VmRSS then, and the mean and highest
 * VmRSS sampled every 250 ms through the window (a single reading lands anywhere in a GC cycle).
 */
export interface RssPoint {
  requests: number;
  rssMb: number;
  meanRssMb: number;
  maxRssMb: number;
  heapUsedMb: number;
  seconds: number;
}

/** The series, the growth from the first point to the last, and the peak. */
export interface RssGrowth {
  total: number;
  step: number;
  points: RssPoint[];
  growthPct: number;
  peakRssMb: number;
  failed: number;
  errorSummary: string;
}

async function heapUsedMb(origin: string): Promise<number> {
  try {
    const text = await (await request(`${origin}/metrics`, { headersTimeout: 10_000, bodyTimeout: 10_000 })).body.text();
    const m = /^switchyard_nodejs_heap_size_used_bytes(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(text);
    return m?.[1] ? Number(m[1]) / 2 ** 20 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Runs the phase; `onPoint` sees every sample as it is taken.
 *
 * @example
 * const g = await rssGrowth({ cli, tempDir, upstreamPort, total: 300_000, step: 100_000, concurrency: 64 }, (p) => console.log(p));
 */
export async function rssGrowth(o: { cli: string; tempDir: string; upstreamPort: number; total: number; step: number; concurrency: number }, onPoint: (p: RssPoint) => void): Promise<RssGrowth> {
  const file = join(o.tempDir, 'bench-rss.yaml');
  writeFileSync(file, oneProviderConfig(o.upstreamPort, ['logging: { level: info }']));
  const { child, origin } = await serveGateway(o.cli, file);
  const pool = new Pool(origin, { connections: o.concurrency, pipelining: 1, headersTimeout: 10_000, bodyTimeout: 10_000, keepAliveTimeout: 60_000 });
  const errors = new Errors();
  const points: RssPoint[] = [];
  try {
    const pid = child.pid;
    if (pid === undefined) throw new Error('gateway has no pid');
    const started = performance.now();
    let sent = 0;
    while (sent < o.total) {
      const until = Math.min(o.total, sent + o.step);
      const worker = async (): Promise<void> => {
        while (sent < until) {
          sent += 1;
          await chatOnce(pool, errors);
        }
      };
      const samples: number[] = [];
      const sampler = setInterval(() => samples.push(statusKb(pid, 'VmRSS') / 1024), 250);
      try {
        await Promise.all(Array.from({ length: o.concurrency }, worker));
      } finally {
        clearInterval(sampler);
      }
      const rssMb = statusKb(pid, 'VmRSS') / 1024;
      samples.push(rssMb);
      const meanRssMb = samples.reduce((a, b) => a + b, 0) / samples.length;
      const point = { requests: sent, rssMb, meanRssMb, maxRssMb: Math.max(...samples), heapUsedMb: await heapUsedMb(origin), seconds: (performance.now() - started) / 1000 };
      points.push(point);
      onPoint(point);
    }
    const first = points[0];
    const last = points[points.length - 1];
    return {
      total: o.total,
      step: o.step,
      points,
      growthPct: first && last ? ((last.meanRssMb - first.meanRssMb) / first.meanRssMb) * 100 : Number.NaN,
      peakRssMb: statusKb(pid, 'VmHWM') / 1024,
      failed: errors.total,
      errorSummary: errors.summary(),
    };
  } finally {
    await pool.destroy();
    await stopChild(child);
  }
}

/**
 * Runs the phase with samples every 100k requests (a third of `total` below 300k) and prints the series,
 * the growth and the peak against `barePeakMb` (the bare proxy's peak RSS in the rounds).
 *
 * @example
 * const g = await rssPhase({ cli, tempDir, upstreamPort, total: 300_000, concurrency: 64 }, 84);
 */
export async function rssPhase(o: { cli: string; tempDir: string; upstreamPort: number; total: number; concurrency: number }, barePeakMb: number): Promise<RssGrowth> {
  const label = o.total === 1_000_000 ? '1M requests (BENCH_LONG=1)' : `${o.total} requests (the short version; BENCH_LONG=1 runs 1M)`;
  const step = o.total >= 300_000 ? 100_000 : Math.max(1, Math.round(o.total / 3));
  console.log(`\nRSS flatness: a fresh gateway, ${label}, closed loop at ${o.concurrency} in flight; VmRSS and V8 heap every ${step}`);
  const g = await rssGrowth({ ...o, step }, (p) =>
    console.log(
      `  ${String(p.requests).padStart(8)} requests  RSS mean ${p.meanRssMb.toFixed(1)} / max ${p.maxRssMb.toFixed(1)} / at the end ${p.rssMb.toFixed(1)} MB  heap used ${p.heapUsedMb.toFixed(1)} MB  (${p.seconds.toFixed(0)} s)`,
    ),
  );
  const sign = g.growthPct >= 0 ? '+' : '';
  console.log(
    `  RSS growth (window means) ${g.points[0]?.requests ?? 0} -> ${o.total}: ${sign}${g.growthPct.toFixed(1)}% (target: within 10% from 100k to 1M) ${Math.abs(g.growthPct) <= 10 ? 'PASS' : 'FAIL'}; ` +
      `peak RSS ${g.peakRssMb.toFixed(1)} MB (${(g.peakRssMb / barePeakMb).toFixed(2)}x the bare proxy's in the rounds; target <= 1.3x); failed ${g.failed}${g.failed > 0 ? ` (${g.errorSummary})` : ''}`,
  );
  return g;
}

/**
 * Hedging bench: one provider slow on 5% of requests (every 20th waits SLOW_MS before answering, the
 * rest FAST_MS), a second provider always fast; the same requests through a gateway without hedging
 * and one hedging after HEDGE_AFTER_MS (budget 10%). Reports client-side p50/p95/p99/max of each and
 * the hedges started and won. In process, a few seconds.
 *
 *   node dist/bench/hedge.js            (alone)   BENCH_HEDGE=1 in `npm run bench` (default on)
 */
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/config/load.js';
import { startGateway } from '../src/server.js';
import { createLogger } from '../src/telemetry/logger.js';
import { FakeUpstream } from '../test/support/fake-upstream.js';

const SLOW_MS = 300;
const FAST_MS = 10;
const HEDGE_AFTER_MS = 50;

export interface HedgeRow {
  name: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  hedgesStarted: number;
  hedgesWon: number;
  errors: number;
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

function yaml(slow: FakeUpstream, fast: FakeUpstream, hedge: boolean): string {
  return [
    'server: { host: 127.0.0.1 }',
    'providers:',
    `  - { name: slow-5pct, type: openai_compatible, base_url: "${slow.url}", api_key: sk-a }`,
    `  - { name: steady, type: openai_compatible, base_url: "${fast.url}", api_key: sk-b }`,
    'circuit_breaker: { failure_threshold: 1000 }',
    hedge ? `routing: { strategy: priority, hedge: { after: ${HEDGE_AFTER_MS}, max_extra_percent: 10 } }` : 'routing: { strategy: priority }',
    'logging: { level: silent }',
    '',
  ].join('\n');
}

async function hedgeCount(url: string, outcome: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`switchyard_hedges_total{outcome="${outcome}"}`));
  return line ? Number(line.split(' ')[1]) : 0;
}

/** `count` requests, `concurrency` at a time, through one gateway; the slow provider's faults scripted up front. */
async function runOne(name: string, hedge: boolean, count: number, concurrency: number): Promise<HedgeRow> {
  const slow = await FakeUpstream.start('slow');
  const fast = await FakeUpstream.start('fast');
  fast.setDefault({ kind: 'ok', delayMs: FAST_MS });
  slow.setDefault({ kind: 'ok', delayMs: FAST_MS });
  // Warm-up requests first (connections), then exactly 5% slow: every 20th.
  const warm = 20;
  for (let i = 0; i < warm + count; i++) slow.enqueue({ kind: 'ok', delayMs: i >= warm && i % 20 === 7 ? SLOW_MS : FAST_MS });
  const gw = await startGateway(parseConfig(yaml(slow, fast, hedge), '(bench)', { env: {} }), { logger: createLogger('silent'), host: '127.0.0.1', port: 0 });
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  let errors = 0;
  const ask = async (): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer x' }, body });
    await res.arrayBuffer();
    if (res.status !== 200) errors++;
    return performance.now() - t0;
  };
  try {
    for (let i = 0; i < warm; i++) await ask();
    const samples: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          next++;
          samples.push(await ask());
        }
      }),
    );
    samples.sort((a, b) => a - b);
    const r = (v: number) => Math.round(v * 10) / 10;
    return {
      name,
      n: samples.length,
      p50: r(pct(samples, 50)),
      p95: r(pct(samples, 95)),
      p99: r(pct(samples, 99)),
      max: r(samples[samples.length - 1] ?? Number.NaN),
      hedgesStarted: await hedgeCount(gw.url, 'started'),
      hedgesWon: await hedgeCount(gw.url, 'won'),
      errors,
    };
  } finally {
    await gw.close();
    await slow.close();
    await fast.close();
  }
}

/**
 * Both runs, one after the other.
 *
 * @example
 * const rows = await hedgeBench(400, 4);
 * console.log(hedgeTable(rows));
 */
export async function hedgeBench(count: number, concurrency: number): Promise<HedgeRow[]> {
  return [await runOne('no hedging', false, count, concurrency), await runOne(`hedge after ${HEDGE_AFTER_MS} ms`, true, count, concurrency)];
}

/**
 * The rows as a text table.
 *
 * @example
 * console.log(hedgeTable(await hedgeBench(400, 4)));
 */
export function hedgeTable(rows: readonly HedgeRow[]): string {
  const head = `  ${'gateway'.padEnd(20)} ${'n'.padStart(5)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)} ${'hedges'.padStart(7)} ${'won'.padStart(5)} ${'errors'.padStart(7)}`;
  const lines = rows.map(
    (r) =>
      `  ${r.name.padEnd(20)} ${String(r.n).padStart(5)} ${String(r.p50).padStart(8)} ${String(r.p95).padStart(8)} ${String(r.p99).padStart(8)} ${String(r.max).padStart(8)} ${String(r.hedgesStarted).padStart(7)} ${String(r.hedgesWon).padStart(5)} ${String(r.errors).padStart(7)}`,
  );
  return [head, ...lines].join('\n');
}

/** The phase's heading: what the fakes do. */
export const HEDGE_SETUP = `provider "slow-5pct" answers in ${FAST_MS} ms, every 20th request (5%) in ${SLOW_MS} ms; provider "steady" always in ${FAST_MS} ms; priority strategy`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(`hedging: ${HEDGE_SETUP}`);
  const rows = await hedgeBench(Number(process.env.BENCH_HEDGE_REQUESTS ?? 400), 4);
  console.log(hedgeTable(rows));
  process.exit(rows.some((r) => r.errors > 0) ? 1 : 0);
}

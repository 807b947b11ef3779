/**
 * The bench's settings, from the environment (see bench/run.ts for what each one does). Every phase
 * scales with BENCH_SECONDS; the phase switches are 0 to skip, anything else to run.
 */
export function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}="${raw}" must be a number >= ${min}`);
  return n;
}

export const SECONDS = envNumber('BENCH_SECONDS', 8, 0.5);
export const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 3, 1));
export const RATE = envNumber('BENCH_RATE', 500, 1);
export const CONCURRENCY = Math.round(envNumber('BENCH_CONCURRENCY', 64, 1));
export const OPEN_SECONDS = Math.max(1, SECONDS / 2);
export const SEQ_COUNT = Math.max(200, Math.round(200 * SECONDS));
export const STREAM_COUNT = Math.max(100, Math.round(100 * SECONDS));
export const WARMUP_SECONDS = Math.min(3, Math.max(1, SECONDS / 4));
export const BREAKER_TRIALS = Math.round(envNumber('BENCH_BREAKER_TRIALS', 20, 0));
/** The client-key policy phase (limits and budgets on the hot path); 0 skips it. */
export const LIMITS = envNumber('BENCH_LIMITS', 1, 0) > 0;
/** The API surfaces phase (CPU per request of each front door against chat completions); 0 skips it. */
export const SURFACES = envNumber('BENCH_SURFACES', 1, 0) > 0;
export const SURFACE_COUNT = Math.max(500, Math.round(500 * SECONDS));
/** The hedging phase (p99 with a provider slow on 5% of requests, with and without hedging); 0 skips it. */
export const HEDGE = envNumber('BENCH_HEDGE', 1, 0) > 0;
export const STREAMS = envNumber('BENCH_STREAMS', 1, 0) > 0;
export const RSS = envNumber('BENCH_RSS', 1, 0) > 0;
/** Multi-process scaling (server.workers 1 and 2, on Redis); 0 skips it. */
export const WORKERS = envNumber('BENCH_WORKERS', 1, 0) > 0;
export const RSS_TOTAL = Math.round(envNumber('BENCH_RSS_REQUESTS', envNumber('BENCH_LONG', 0, 0) > 0 ? 1_000_000 : 300_000, 3));
export const BREAKER_TIMEOUT_MS = 5_000;
export const BREAKER_BUDGET_MS = 60_000;

/**
 * switchyard bench: the gateway against a bare Node pass-through proxy, both in front of the same fake
 * upstream, each in its own process on 127.0.0.1 so /proc gives each one's CPU and peak RSS; plus the
 * same gateway with its state in Redis ("gateway+redis", against a redis-server the bench starts on a
 * free port), and at the end a breaker propagation phase: two more gateways sharing that Redis, how
 * long a breaker opened on one takes to show open on the other. Without redis-server on PATH both
 * Redis parts are skipped with a note.
 *
 *   npm run bench                      (≈ 8-14 minutes with the streams and RSS phases, as fast as the machine is)
 *   BENCH_SECONDS=1 BENCH_ROUNDS=1 node dist/bench/run.js     (smoke run)
 *
 * Env: BENCH_SECONDS (throughput round length, default 8; every other phase scales with it),
 * BENCH_ROUNDS (rounds per target, default 3, interleaved bare/gateway/gateway+redis/bare/...),
 * BENCH_RATE (open-loop requests/s, default 500), BENCH_CONCURRENCY (closed-loop in-flight requests,
 * default 64), BENCH_BREAKER_TRIALS (breaker propagation trials, default 20; 0 skips the phase),
 * BENCH_LIMITS (the client-key policy phase: limits and budgets on the hot path; 0 skips it),
 * BENCH_SURFACES (the API surfaces phase: each front door's CPU per request against chat's; 0 skips it),
 * BENCH_HEDGE (the hedging phase: p99 with a provider slow on 5% of requests, with and without; 0 skips it),
 * BENCH_STREAMS (concurrent streams, bench/streams.ts; 0 skips it; BENCH_STREAMS_TRIALS trials per scenario, default 3), BENCH_RSS (RSS flatness over
 * 300k requests, bench/rss-growth.ts; 0 skips it), BENCH_LONG=1 (RSS flatness over 1M requests),
 * BENCH_RSS_REQUESTS (any other count), BENCH_WORKERS (server.workers 1 and 2 on Redis, bench/workers.ts; 0 skips it).
 * Each reported figure is the median over the rounds. Exit 0 when the run completes without a failed request.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BREAKER_PREFIX, type BreakerResult, breakerPropagation } from './breaker.js';
import { breakerJson, breakerLines } from './breaker-report.js';
import { HEDGE_SETUP, type HedgeRow, hedgeBench, hedgeTable } from './hedge.js';
import { type LimitsRow, limitsCost, limitsTable } from './limits.js';
import { Errors } from './load.js';
import { CLK_TCK, forkReady, killAll, killAllNow, statusKb } from './proc.js';
import { describeErrors, onPath, type RedisProcess, redisView, startRedis } from './redis.js';
import { aggregate, checks, checkTable, deltaTable, redisDeltas, roundLine, type TargetFigures, table } from './report.js';
import { rssPhase } from './rss-growth.js';
import {
  BREAKER_BUDGET_MS,
  BREAKER_TIMEOUT_MS,
  BREAKER_TRIALS,
  CONCURRENCY,
  HEDGE,
  LIMITS,
  OPEN_SECONDS,
  RATE,
  ROUNDS,
  RSS,
  RSS_TOTAL,
  SECONDS,
  SEQ_COUNT,
  STREAM_COUNT,
  STREAMS,
  SURFACE_COUNT,
  SURFACES,
  WARMUP_SECONDS,
  WORKERS,
} from './settings.js';
import { streamChecks, streamsPhaseReported } from './streams-report.js';
import { type SurfaceRow, surfacesCost, surfacesTable } from './surfaces.js';
import { connect, gatewayConfig, measureRound, type RoundSettings, startGateway, type Target, warmUp } from './throughput.js';
import { type WorkersRow, workersScaling, workersTable } from './workers.js';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const ROUND: RoundSettings = {
  seconds: SECONDS,
  concurrency: CONCURRENCY,
  warmupSeconds: WARMUP_SECONDS,
  sequentialCount: SEQ_COUNT,
  openRate: RATE,
  openSeconds: OPEN_SECONDS,
  streamCount: STREAM_COUNT,
};

let tempDir: string | undefined;
let cleaning: Promise<void> | undefined;

async function cleanup(targets: Target[]): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled(targets.flatMap((t) => [t.pool.destroy(), t.client.destroy()]));
    await killAll(); // gateways, upstream, bare proxy and redis-server alike
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  })();
  return cleaning;
}

async function main(): Promise<number> {
  const targets: Target[] = [];
  const stopOn = (signal: NodeJS.Signals): void => {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping children`);
      void cleanup(targets).finally(() => process.exit(130));
    });
  };
  stopOn('SIGINT');
  stopOn('SIGTERM');
  process.once('exit', killAllNow);
  const perRound = SECONDS + OPEN_SECONDS + (SEQ_COUNT + STREAM_COUNT) / 500 + 2;
  const watchdogMs =
    (60 +
      4 * perRound * 3 * ROUNDS +
      BREAKER_BUDGET_MS / 1000 +
      (2 * BREAKER_TIMEOUT_MS) / 1000 +
      30 +
      (LIMITS ? 5 * (SECONDS + 10) : 0) +
      (WORKERS ? 2 * (SECONDS + 10) : 0) +
      (SURFACES ? 6 * (SURFACE_COUNT / 300) + 20 : 0) +
      (STREAMS ? 400 : 0) +
      (RSS ? 60 + RSS_TOTAL / 500 : 0)) *
    1000;
  setTimeout(() => {
    console.error(`bench: watchdog, still running after ${Math.round(watchdogMs / 1000)} s; giving up`);
    void cleanup(targets).finally(() => process.exit(1));
  }, watchdogMs).unref();

  const started = performance.now();
  try {
    const upstream = await forkReady(here('./upstream.js'), ['0']);
    const bare = await forkReady(here('./bare-proxy.js'), [String(upstream.port), '0']);
    if (bare.child.pid === undefined || upstream.child.pid === undefined) throw new Error('a child has no pid');

    tempDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
    const configFile = join(tempDir, 'bench.yaml');
    writeFileSync(configFile, gatewayConfig(upstream.port));
    const gw = await startGateway(here('../src/cli.js'), configFile);

    let redis: RedisProcess | undefined;
    let redisSkipped: string | undefined;
    let gwRedis: { pid: number; port: number; origin: string } | undefined;
    const redisBinary = onPath('redis-server');
    if (redisBinary === undefined) {
      redisSkipped = 'redis-server not found on PATH';
      console.log(`redis-server is not installed (not on PATH): skipping the gateway+redis target and the breaker propagation phase (apt-get install -y redis-server)`);
    } else {
      try {
        redis = await startRedis(redisBinary);
      } catch (err) {
        redisSkipped = (err as Error).message;
        console.log(`${redisSkipped}: skipping the gateway+redis target and the breaker propagation phase`);
      }
      if (redis) {
        const redisConfigFile = join(tempDir, 'bench-redis.yaml');
        writeFileSync(redisConfigFile, gatewayConfig(upstream.port, redis.url));
        gwRedis = await startGateway(here('../src/cli.js'), redisConfigFile);
      }
    }
    const redisPid = redis?.child.pid;

    targets.push(connect('bare proxy', bare.child.pid, `http://127.0.0.1:${bare.port}`, CONCURRENCY), connect('gateway', gw.pid, gw.origin, CONCURRENCY));
    if (gwRedis) targets.push(connect('gateway+redis', gwRedis.pid, gwRedis.origin, CONCURRENCY));
    console.log(
      `switchyard bench: node ${process.version}, ${availableParallelism()} CPUs, CLK_TCK ${CLK_TCK}; upstream :${upstream.port} (pid ${upstream.child.pid}), ` +
        `bare proxy :${bare.port} (pid ${bare.child.pid}), gateway :${gw.port} (pid ${gw.pid})` +
        (gwRedis && redis ? `, gateway+redis :${gwRedis.port} (pid ${gwRedis.pid}) on redis-server :${redis.port} (pid ${redisPid}, key prefix bench:)` : ''),
    );
    console.log(
      `per round: ${SECONDS} s closed loop at ${CONCURRENCY} in flight, ${SEQ_COUNT} sequential, ${OPEN_SECONDS} s open loop at ${RATE}/s, ` +
        `${STREAM_COUNT} sequential streams; ${ROUNDS} rounds per target interleaved (${targets.map((t) => t.name).join(', ')}, ${targets[0]?.name}, ...); figures = median of rounds`,
    );

    const warmErrors = new Errors();
    for (const t of targets) await warmUp(t, ROUND, warmErrors);
    console.log(`warm-up done (${WARMUP_SECONDS} s + 200 sequential + 100 streams per target; ${warmErrors.requests} requests, errors: ${warmErrors.summary()})`);

    for (let r = 1; r <= ROUNDS; r++) {
      for (const t of targets) {
        const result = await measureRound(t, ROUND, upstream.child.pid, t.name === 'gateway+redis' ? redisPid : undefined);
        t.rounds.push(result);
        console.log(roundLine(r, t.name, result));
      }
    }

    const figuresOf = (t: Target): TargetFigures => aggregate(t.rounds, statusKb(t.pid, 'VmHWM'), t.errors.requests, t.errors.total, t.errors.summary());
    const [b, g, gr] = targets as [Target, Target, Target | undefined];
    const bareFig = figuresOf(b);
    const gwFig = figuresOf(g);
    const grFig = gr ? figuresOf(gr) : undefined;
    const upstreamHwmMb = statusKb(upstream.child.pid, 'VmHWM') / 1024;
    const redisHwmMb = redisPid === undefined ? undefined : statusKb(redisPid, 'VmHWM') / 1024;
    const list = checks(bareFig, gwFig, b.rounds, g.rounds);
    const deltas = grFig ? redisDeltas(gwFig, grFig) : [];
    const health = gwRedis ? await redisView(gwRedis.origin) : undefined;

    const columns = [{ name: 'bare proxy', fig: bareFig }, { name: 'gateway', fig: gwFig }, ...(grFig ? [{ name: 'gateway+redis', fig: grFig }] : [])];
    console.log(`\n${table(columns, RATE, CONCURRENCY)}`);
    console.log(
      `(upstream peak RSS ${upstreamHwmMb.toFixed(1)} MB` + (redisHwmMb === undefined ? '' : `; redis-server peak RSS ${redisHwmMb.toFixed(1)} MB`) + `; warm-up errors: ${warmErrors.summary()})`,
    );
    if (health) {
      console.log(`(gateway+redis after the rounds: /stats source ${health.statsSource}, switchyard_redis_up ${health.redisUp}, switchyard_redis_errors_total ${describeErrors(health.errorsByOp)})`);
    } else {
      console.log(`(gateway+redis skipped: ${redisSkipped ?? 'unknown reason'})`);
    }
    console.log('');
    console.log(checkTable(list, bareFig, gwFig, b.rounds, g.rounds));
    if (deltas.length > 0) console.log(`\n${deltaTable(deltas)}`);
    const cpus = availableParallelism();
    for (const c of columns) {
      const used = (c.fig.cpuPct + c.fig.upstreamCpuPct + c.fig.benchCpuPct + (c.fig.redisCpuPct ?? 0)) / 100;
      if (used > 0.85 * cpus) {
        const also = c.fig.redisCpuPct === undefined ? '' : ' + redis-server';
        console.log(
          `note: during the ${c.name} throughput rounds proxy + upstream${also} + load generator used ${used.toFixed(2)} of ${cpus} CPUs; that figure is bounded by the machine, not only by the ${c.name}.`,
        );
      }
    }

    let breaker: BreakerResult | undefined;
    if (redis && BREAKER_TRIALS > 0) {
      console.log(`\nbreaker propagation: 2 gateways (A, B) on redis-server :${redis.port}, key prefix ${BREAKER_PREFIX}, failure_threshold 1, sync_interval_ms default; ${BREAKER_TRIALS} trials`);
      breaker = await breakerPropagation({
        cli: here('../src/cli.js'),
        tempDir,
        upstreamPort: upstream.port,
        redisUrl: redis.url,
        redisPort: redis.port,
        trials: BREAKER_TRIALS,
        trialTimeoutMs: BREAKER_TIMEOUT_MS,
        phaseBudgetMs: BREAKER_BUDGET_MS,
      });
      for (const line of breakerLines(breaker, BREAKER_TIMEOUT_MS, BREAKER_BUDGET_MS)) console.log(line);
    } else if (!redis) {
      console.log(`\nbreaker propagation: skipped (${redisSkipped ?? 'no redis-server'})`);
    } else {
      console.log('\nbreaker propagation: skipped (BENCH_BREAKER_TRIALS=0)');
    }

    let limitRows: LimitsRow[] = [];
    if (LIMITS) {
      console.log(
        `\nclient-key policy: 5 more gateways in turn (a plain key; a named key with an allow-list, rate limits and a budget; each in process and on redis-server; then everything on: that key on redis-server with an Idempotency-Key per request)`,
      );
      limitRows = await limitsCost({
        cli: here('../src/cli.js'),
        tempDir,
        upstreamPort: upstream.port,
        ...(redis ? { redis: { url: redis.url, port: redis.port } } : {}),
        seconds: Math.max(1, SECONDS / 2),
        sequentialCount: Math.round(SEQ_COUNT / 2),
        concurrency: CONCURRENCY,
      });
      console.log(limitsTable(limitRows));
    }

    let surfaceRows: SurfaceRow[] = [];
    if (SURFACES) {
      console.log(`\nAPI surfaces: two more gateways in turn (providers that speak each protocol; an OpenAI-compatible one that does not), ${SURFACE_COUNT} sequential requests per surface`);
      surfaceRows = await surfacesCost({ cli: here('../src/cli.js'), upstreamEntry: here('./surfaces-upstream.js'), tempDir, count: SURFACE_COUNT });
      console.log(surfacesTable(surfaceRows));
    }

    let workerRows: WorkersRow[] = [];
    if (WORKERS && redis) {
      console.log('\nserver.workers: the gateway on redis-server with 1, then 2 worker processes, the same closed loop');
      workerRows = await workersScaling({ cli: here('../src/cli.js'), tempDir, upstreamPort: upstream.port, redisUrl: redis.url, seconds: Math.max(1, SECONDS / 2), concurrency: CONCURRENCY });
      console.log(workersTable(workerRows));
    }

    let hedgeRows: HedgeRow[] = [];
    if (HEDGE) {
      console.log(`\nhedging: ${HEDGE_SETUP}`);
      hedgeRows = await hedgeBench(Math.max(400, Math.round(SEQ_COUNT / 4)), 4);
      console.log(hedgeTable(hedgeRows));
    }

    const streams = STREAMS ? await streamsPhaseReported({ cli: here('../src/cli.js'), tempDir }) : undefined;
    const rss = RSS ? await rssPhase({ cli: here('../src/cli.js'), tempDir, upstreamPort: upstream.port, total: RSS_TOTAL, concurrency: CONCURRENCY }, bareFig.peakRssMb) : undefined;

    const streamErrors = streams?.scenarios.reduce((n, r) => n + r.cold.bare.failed + r.cold.gateway.failed + r.warm.bare.failed + r.warm.gateway.failed, 0) ?? 0;
    const totalErrors =
      streamErrors +
      (rss?.failed ?? 0) +
      hedgeRows.reduce((s, r) => s + r.errors, 0) +
      bareFig.errors +
      gwFig.errors +
      (grFig?.errors ?? 0) +
      warmErrors.total +
      (breaker?.failedRequests ?? 0) +
      limitRows.reduce((s, r) => s + r.errors, 0) +
      workerRows.reduce((s, r) => s + r.errors, 0) +
      surfaceRows.reduce((s, r) => s + r.failed, 0);
    const elapsed = (performance.now() - started) / 1000;
    const streamTargets = streams ? streams.scenarios.flatMap(streamChecks).filter((c) => !c.info) : [];
    // Every target the run measured, counted together: the rounds', the streams' and RSS flatness.
    const rssFlat = rss ? [Math.abs(rss.growthPct) <= 10] : [];
    const met = list.filter((c) => c.pass).length + streamTargets.filter((c) => c.pass).length + rssFlat.filter(Boolean).length;
    const parts = [`rounds ${list.filter((c) => c.pass).length}/${list.length}`];
    if (streams) parts.push(`streams ${streamTargets.filter((c) => c.pass).length}/${streamTargets.length}`);
    if (rss) parts.push(`RSS flatness ${rssFlat.filter(Boolean).length}/1`);
    console.log(`\ntargets met: ${met}/${list.length + streamTargets.length + rssFlat.length} (${parts.join(', ')}); failed requests: ${totalErrors}; run took ${elapsed.toFixed(1)} s`);
    const json = {
      config: {
        seconds: SECONDS,
        rounds: ROUNDS,
        rate: RATE,
        concurrency: CONCURRENCY,
        open_seconds: OPEN_SECONDS,
        sequential: SEQ_COUNT,
        streams: STREAM_COUNT,
        breaker_trials: BREAKER_TRIALS,
        aggregate: 'median_of_rounds',
        cpus: availableParallelism(),
        node: process.version,
        clk_tck: CLK_TCK,
      },
      bare: { ...bareFig, rounds: b.rounds },
      gateway: { ...gwFig, rounds: g.rounds },
      gateway_redis: grFig && gr ? { ...grFig, rounds: gr.rounds } : null,
      checks: Object.fromEntries(list.map((c) => [c.key, { value: c.value, op: c.op, limit: c.limit, pass: c.pass }])),
      redis_vs_gateway: deltas.length > 0 ? Object.fromEntries(deltas.map((d) => [d.key, d.value])) : null,
      redis: redis
        ? { available: true, port: redis.port, peak_rss_mb: redisHwmMb, stats_source: health?.statsSource, redis_up: health?.redisUp, redis_errors: health?.errorsByOp }
        : { available: false, reason: redisSkipped },
      breaker_propagation: breaker ? breakerJson(breaker) : null,
      client_key_policy: limitRows.map((r) => ({
        name: r.name,
        rps: r.rps,
        seq_p50_ms: r.seq.p50,
        seq_p99_ms: r.seq.p99,
        redis_scripts_per_request: r.redis?.scriptsPerRequest ?? null,
        redis_commands_per_request: r.redis?.commandsPerRequest ?? null,
        failed: r.errors,
      })),
      workers: workerRows.map((r) => ({ workers: r.workers, rps: r.rps, cpu_us_per_request: r.cpuUsPerRequest, failed: r.errors })),
      surfaces: surfaceRows.map((r) => ({ name: r.name, cpu_us_per_request: r.cpuUsPerRequest, vs_chat: r.ratio, failed: r.failed })),
      hedging: hedgeRows,
      streams: streams ? { ...streams, checks: streams.scenarios.flatMap(streamChecks) } : null,
      rss_growth: rss ?? null,
      upstream_peak_rss_mb: upstreamHwmMb,
      warmup_errors: warmErrors.total,
      failed_requests: totalErrors,
      elapsed_seconds: elapsed,
    };
    console.log(`BENCH_JSON ${JSON.stringify(json)}`);
    return totalErrors === 0 ? 0 : 1;
  } finally {
    await cleanup(targets);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('bench failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    killAllNow();
    process.exit(1);
  },
);

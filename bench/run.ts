/**
 * switchyard bench: the gateway against a bare Node pass-through proxy, both in front of the same fake
 * upstream, each in its own process on 127.0.0.1 so /proc gives each one's CPU and peak RSS.
 *
 *   npm run bench                      (≈ 2 minutes)
 *   BENCH_SECONDS=2 node dist/bench/run.js
 *
 * Env: BENCH_SECONDS (throughput round length, default 10; every other phase scales with it),
 * BENCH_ROUNDS (rounds per target, default 3, interleaved bare/gateway/bare/...), BENCH_RATE (open-loop
 * requests/s, default 500), BENCH_CONCURRENCY (closed-loop in-flight requests, default 64).
 * Each reported figure is the median over the rounds. Exit 0 when the run completes without a failed request.
 */
import { availableParallelism } from 'node:os';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Pool } from 'undici';
import { CLK_TCK, cpuTicks, forkReady, freePort, killAll, killAllNow, spawnNode, statusKb, ticksToMicros, waitHealthy } from './proc.js';
import { closedLoop, Errors, firstChunk, openLoop, sequential, summarize } from './load.js';
import { aggregate, checks, checkTable, roundLine, table, type RoundResult } from './report.js';

function envNumber(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) throw new Error(`${name}="${raw}" must be a number >= ${min}`);
  return n;
}

const SECONDS = envNumber('BENCH_SECONDS', 10, 0.5);
const ROUNDS = Math.round(envNumber('BENCH_ROUNDS', 3, 1));
const RATE = envNumber('BENCH_RATE', 500, 1);
const CONCURRENCY = Math.round(envNumber('BENCH_CONCURRENCY', 64, 1));
const OPEN_SECONDS = Math.max(1, SECONDS / 2);
const SEQ_COUNT = Math.max(200, Math.round(200 * SECONDS));
const STREAM_COUNT = Math.max(100, Math.round(100 * SECONDS));
const WARMUP_SECONDS = Math.min(3, Math.max(1, SECONDS / 4));

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Target {
  name: string;
  pid: number;
  pool: Pool;
  client: Client;
  errors: Errors;
  rounds: RoundResult[];
}

function connect(name: string, pid: number, origin: string): Target {
  const opts = { headersTimeout: 10_000, bodyTimeout: 10_000, keepAliveTimeout: 60_000 };
  return { name, pid, pool: new Pool(origin, { ...opts, connections: CONCURRENCY, pipelining: 1 }), client: new Client(origin, opts), errors: new Errors(), rounds: [] };
}

async function warmUp(t: Target, errors: Errors): Promise<void> {
  await closedLoop(t.pool, CONCURRENCY, WARMUP_SECONDS, errors);
  await sequential(t.client, 200, errors);
  await firstChunk(t.client, 100, errors);
}

async function measure(t: Target, upstreamPid: number): Promise<RoundResult> {
  const ticks0 = cpuTicks(t.pid);
  const upTicks0 = cpuTicks(upstreamPid);
  const self0 = process.cpuUsage();
  const tp = await closedLoop(t.pool, CONCURRENCY, SECONDS, t.errors);
  const self = process.cpuUsage(self0);
  const wallUs = tp.seconds * 1e6;
  const cpuUs = ticksToMicros(cpuTicks(t.pid) - ticks0);
  const upCpuUs = ticksToMicros(cpuTicks(upstreamPid) - upTicks0);
  await sleep(250);

  const scratch = new Errors(); // per-phase warm-up; errors still count
  await sequential(t.client, 100, scratch);
  const seq = summarize(await sequential(t.client, SEQ_COUNT, t.errors));
  await sleep(100);

  const open = await openLoop(t.pool, RATE, OPEN_SECONDS, t.errors);
  await sleep(100);

  await firstChunk(t.client, 50, scratch);
  const stream = summarize(await firstChunk(t.client, STREAM_COUNT, t.errors));
  t.errors.merge(scratch);

  return {
    rps: tp.completed / tp.seconds,
    cpuUsPerReq: cpuUs / tp.completed,
    cpuPct: (cpuUs / wallUs) * 100,
    upstreamCpuPct: (upCpuUs / wallUs) * 100,
    benchCpuPct: ((self.user + self.system) / wallUs) * 100,
    seq,
    open: { ...summarize(open.samples), achievedRate: open.sent / open.seconds },
    stream,
  };
}

let tempDir: string | undefined;
let cleaning: Promise<void> | undefined;

async function cleanup(targets: Target[]): Promise<void> {
  cleaning ??= (async () => {
    await Promise.allSettled(targets.flatMap((t) => [t.pool.destroy(), t.client.destroy()]));
    await killAll();
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
  const watchdogMs = (60 + 4 * perRound * 2 * ROUNDS) * 1000;
  setTimeout(() => {
    console.error(`bench: watchdog, still running after ${Math.round(watchdogMs / 1000)} s; giving up`);
    void cleanup(targets).finally(() => process.exit(1));
  }, watchdogMs).unref();

  const started = performance.now();
  try {
    const upstream = await forkReady(here('./upstream.js'), ['0']);
    const bare = await forkReady(here('./bare-proxy.js'), [String(upstream.port), '0']);

    tempDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
    const configFile = join(tempDir, 'bench.yaml');
    writeFileSync(
      configFile,
      [
        'server:',
        '  host: 127.0.0.1',
        'providers:',
        '  - name: bench',
        '    type: openai_compatible',
        `    base_url: http://127.0.0.1:${upstream.port}/v1`,
        '    api_key: sk-bench',
        'logging:',
        '  level: info',
        '',
      ].join('\n'),
    );
    const gwPort = await freePort();
    const gwChild = spawnNode(here('../src/cli.js'), ['serve', '--config', configFile, '--port', String(gwPort)]);
    const gwOrigin = `http://127.0.0.1:${gwPort}`;
    await waitHealthy(gwOrigin, gwChild);
    if (gwChild.pid === undefined || bare.child.pid === undefined || upstream.child.pid === undefined) throw new Error('a child has no pid');

    targets.push(connect('bare proxy', bare.child.pid, `http://127.0.0.1:${bare.port}`), connect('gateway', gwChild.pid, gwOrigin));
    console.log(
      `switchyard bench: node ${process.version}, ${availableParallelism()} CPUs, CLK_TCK ${CLK_TCK}; upstream :${upstream.port} (pid ${upstream.child.pid}), ` +
        `bare proxy :${bare.port} (pid ${bare.child.pid}), gateway :${gwPort} (pid ${gwChild.pid})`,
    );
    console.log(
      `per round: ${SECONDS} s closed loop at ${CONCURRENCY} in flight, ${SEQ_COUNT} sequential, ${OPEN_SECONDS} s open loop at ${RATE}/s, ` +
        `${STREAM_COUNT} sequential streams; ${ROUNDS} rounds per target interleaved (bare, gateway, bare, ...); figures = median of rounds`,
    );

    const warmErrors = new Errors();
    for (const t of targets) await warmUp(t, warmErrors);
    console.log(`warm-up done (${WARMUP_SECONDS} s + 200 sequential + 100 streams per target; ${warmErrors.requests} requests, errors: ${warmErrors.summary()})`);

    for (let r = 1; r <= ROUNDS; r++) {
      for (const t of targets) {
        const result = await measure(t, upstream.child.pid);
        t.rounds.push(result);
        console.log(roundLine(r, t.name, result));
      }
    }

    const [b, g] = targets as [Target, Target];
    const bareFig = aggregate(b.rounds, statusKb(b.pid, 'VmHWM'), b.errors.requests, b.errors.total, b.errors.summary());
    const gwFig = aggregate(g.rounds, statusKb(g.pid, 'VmHWM'), g.errors.requests, g.errors.total, g.errors.summary());
    const upstreamHwmMb = statusKb(upstream.child.pid, 'VmHWM') / 1024;
    const list = checks(bareFig, gwFig);
    const elapsed = (performance.now() - started) / 1000;

    console.log(`\n${table(bareFig, gwFig, RATE, CONCURRENCY)}`);
    console.log(`(upstream peak RSS ${upstreamHwmMb.toFixed(1)} MB; warm-up errors: ${warmErrors.summary()}; run took ${elapsed.toFixed(1)} s)\n`);
    console.log(checkTable(list, bareFig, gwFig));
    const cpus = availableParallelism();
    for (const fig of [bareFig, gwFig]) {
      const used = (fig.cpuPct + fig.upstreamCpuPct + fig.benchCpuPct) / 100;
      if (used > 0.85 * cpus) {
        const who = fig === bareFig ? 'bare proxy' : 'gateway';
        console.log(`note: during the ${who} throughput rounds proxy + upstream + load generator used ${used.toFixed(2)} of ${cpus} CPUs; that figure is bounded by the machine, not only by the ${who}.`);
      }
    }
    const totalErrors = bareFig.errors + gwFig.errors + warmErrors.total;
    console.log(`\ntargets met: ${list.filter((c) => c.pass).length}/${list.length}; failed requests: ${totalErrors}`);
    const json = {
      config: { seconds: SECONDS, rounds: ROUNDS, rate: RATE, concurrency: CONCURRENCY, open_seconds: OPEN_SECONDS, sequential: SEQ_COUNT, streams: STREAM_COUNT, aggregate: 'median_of_rounds', cpus: availableParallelism(), node: process.version, clk_tck: CLK_TCK },
      bare: { ...bareFig, rounds: b.rounds },
      gateway: { ...gwFig, rounds: g.rounds },
      checks: Object.fromEntries(list.map((c) => [c.key, { value: c.value, op: c.op, limit: c.limit, pass: c.pass }])),
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
    console.error('bench failed:', err instanceof Error ? err.stack ?? err.message : err);
    killAllNow();
    process.exit(1);
  },
);

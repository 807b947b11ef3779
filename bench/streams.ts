/**
 * Concurrent streams (issue 16): C chat streams open at once through the bare proxy and through the
 * gateway, each target (and its streaming fake upstream, bench/stream-upstream.ts) in fresh processes
 * per scenario, so idle RSS, peak RSS and CPU belong to that scenario alone. Two scenarios: 1,000
 * streams of 60 events 50 ms apart, and 9,000 slow streams of 10 events 1 s apart (capped by the open
 * files limit: the gateway holds two sockets per stream). Each scenario runs twice in the same
 * processes: cold (just started: little compiled code, and every stream opens a new upstream
 * connection) and warm (a second later: compiled code and pooled upstream connections, as in a
 * gateway that has been serving); the clients' connections are new in both. A scenario is tried
 * several times, bare proxy and gateway in turn with fresh processes each time, and its figures are
 * the trials' medians (bench/stream-trials.ts): one run of it on this machine spreads too far to judge
 * a target by. Env: BENCH_STREAMS=0 skips the phase; BENCH_STREAMS_FAST / BENCH_STREAMS_SLOW set the two
 * stream counts (0 skips that scenario); BENCH_STREAMS_TRIALS the trials per scenario (default 3).
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { ELD_PATH, type EldFigures } from './eld.js';
import { type Latency, summarize } from './load.js';
import { cpuTicks, forkReady, mainThreadTicks, oneProviderConfig, serveGateway, statusKb, stopChild, ticksToMicros } from './proc.js';
import { runStreams, type StreamRun, type StreamScenario } from './stream-client.js';
import { foldTrials, type Trial } from './stream-trials.js';

/** One target's figures in one scenario. */
export interface StreamFigures {
  target: string;
  /** cold: the first run in fresh processes; warm: the same processes' second run. */
  state: 'cold' | 'warm';
  count: number;
  maxOpen: number;
  completed: number;
  failed: number;
  errorSummary: string;
  ttfb: Latency;
  delay: Latency;
  idleRssMb: number;
  /** Highest VmRSS sampled every 50 ms during the run, and VmHWM at the end. */
  peakRssMb: number;
  hwmMb: number;
  rssPerStreamKb: number;
  eldP99Ms: number;
  upstreamEldP99Ms: number;
  clientEldP99Ms: number;
  cpuPct: { target: number; upstream: number; loadgen: number };
  /** Share of the target's CPU spent off its main thread: V8's GC and compiler threads, libuv's pool (%). */
  helperSharePct: number;
  /** The whole machine during the run: CPU busy (% of one core, all cores summed), and the share of time some task waited for a CPU (PSI). */
  machine: { busyPct: number; cpuWaitPct: number };
  seconds: number;
}

/** Both targets' figures in one run of a scenario. */
export interface TargetPair {
  bare: StreamFigures;
  gateway: StreamFigures;
}

/** A scenario, run cold and then warm against each target in each trial; `cold` and `warm` are the trials' medians. */
export interface ScenarioResult {
  scenario: StreamScenario;
  cold: TargetPair;
  warm: TargetPair;
  trials: Trial[];
}

/** The phase: scenarios run, and a note when the open files limit made a scenario smaller. */
export interface StreamsResult {
  scenarios: ScenarioResult[];
  fdLimit: { soft: number; hard: number };
  notes: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Busy and total jiffies of all CPUs (/proc/stat), and the PSI "some" CPU stall total in µs (NaN without PSI). */
function machineCounters(): { busy: number; total: number; stallUs: number } {
  const cpu = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  let stallUs = Number.NaN;
  try {
    stallUs = Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1] ?? Number.NaN);
  } catch {
    // no PSI on this kernel
  }
  return { busy: total - idle, total, stallUs };
}

function openFilesLimit(): { soft: number; hard: number } {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  const [soft, hard] = (line?.slice('Max open files'.length).trim().split(/\s+/) ?? []).map((v) => (v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v)));
  return { soft: soft ?? Number.NaN, hard: hard ?? Number.NaN };
}

function count(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}="${raw}" must be a whole number >= 0`);
  return n;
}

async function readEld(origin: string, gateway: boolean): Promise<number> {
  try {
    const res = await request(`${origin}${gateway ? '/metrics' : ELD_PATH}`, { headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await res.body.text();
    if (!gateway) return (JSON.parse(text) as EldFigures).p99;
    const m = /^switchyard_nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(text);
    return m?.[1] ? Number(m[1]) * 1000 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** A target process and where it listens. */
export interface Started {
  child: ChildProcess;
  origin: string;
}

/** The bare proxy or the gateway (config for streams: no concurrency cap, `info` logging) in front of `upstreamPort`. */
export async function startTarget(kind: 'bare' | 'gateway', upstreamPort: number, cli: string, tempDir: string): Promise<Started> {
  if (kind === 'bare') {
    const bare = await forkReady(new URL('./bare-proxy.js', import.meta.url).pathname, [String(upstreamPort), '0']);
    return { child: bare.child, origin: `http://127.0.0.1:${bare.port}` };
  }
  const file = join(tempDir, 'bench-streams.yaml');
  writeFileSync(file, oneProviderConfig(upstreamPort, ['limits: { max_concurrent_requests: 100000 }', 'logging: { level: info }']));
  return serveGateway(cli, file);
}

/**
 * Starts a streaming fake upstream and `kind` in front of it, runs `fn` against the target (its origin
 * and pid, for CPU), and stops both whatever happens.
 *
 * @example
 * const cpu = await withStreamingTarget('gateway', cli, tempDir, (origin, pid) => measure(origin, pid));
 */
export async function withStreamingTarget<T>(kind: 'bare' | 'gateway', cli: string, tempDir: string, fn: (origin: string, pid: number) => Promise<T>): Promise<T> {
  const upstream = await forkReady(new URL('./stream-upstream.js', import.meta.url).pathname, ['0']);
  let target: Started | undefined;
  try {
    target = await startTarget(kind, upstream.port, cli, tempDir);
    const pid = target.child.pid;
    if (pid === undefined) throw new Error(`the ${kind} target has no pid`);
    return await fn(target.origin, pid);
  } finally {
    if (target) await stopChild(target.child);
    await stopChild(upstream.child);
  }
}

/** One target and its upstream, started for a scenario. */
interface Running {
  kind: 'bare' | 'gateway';
  pid: number;
  upPid: number;
  origin: string;
  upOrigin: string;
}

/**
 * Both runs of a scenario in one pair of fresh processes: cold (just started, 50 short streams of
 * warm-up: the JIT has seen little and every stream needs a new upstream connection), then warm (the
 * same processes a second after: compiled code and the upstream connections the cold run left).
 */
async function measureTarget(kind: 'bare' | 'gateway', s: StreamScenario, cli: string, tempDir: string): Promise<{ cold: StreamFigures; warm: StreamFigures }> {
  const upstream = await forkReady(new URL('./stream-upstream.js', import.meta.url).pathname, ['0']);
  let target: Started | undefined;
  try {
    target = await startTarget(kind, upstream.port, cli, tempDir);
    const pid = target.child.pid;
    const upPid = upstream.child.pid;
    if (pid === undefined || upPid === undefined) throw new Error('a streams child has no pid');
    const running: Running = { kind, pid, upPid, origin: target.origin, upOrigin: `http://127.0.0.1:${upstream.port}` };
    await runStreams(target.origin, { name: 'warm-up', count: 50, chunks: 3, gapMs: 1, rampMs: 50 }, 10_000);
    const cold = await measureRun(running, s, 'cold');
    const warm = await measureRun(running, s, 'warm');
    return { cold, warm };
  } finally {
    if (target) await stopChild(target.child);
    await stopChild(upstream.child);
  }
}

/** One run of the scenario against a running target: new client connections, every figure of this run alone. */
async function measureRun(t: Running, s: StreamScenario, state: 'cold' | 'warm'): Promise<StreamFigures> {
  const { pid, upPid } = t;
  await sleep(1_000);
  const idleKb = statusKb(pid, 'VmRSS');
  await readEld(t.origin, t.kind === 'gateway'); // starts a fresh window
  await readEld(t.upOrigin, false);
  let peakKb = idleKb;
  const sampler = setInterval(() => {
    try {
      peakKb = Math.max(peakKb, statusKb(pid, 'VmRSS'));
    } catch {
      // the target exited; the run reports its failures
    }
  }, 50);
  const ticks0 = cpuTicks(pid);
  const main0 = mainThreadTicks(pid);
  const upTicks0 = cpuTicks(upPid);
  const self0 = process.cpuUsage();
  const machine0 = machineCounters();
  const timeoutMs = 30_000 + s.rampMs + s.chunks * s.gapMs;
  let run: StreamRun;
  try {
    run = await runStreams(t.origin, s, timeoutMs);
  } finally {
    clearInterval(sampler);
  }
  const wallUs = run.seconds * 1e6;
  const self = process.cpuUsage(self0);
  const pct = (us: number): number => (us / wallUs) * 100;
  const targetTicks = cpuTicks(pid) - ticks0;
  const helperSharePct = targetTicks > 0 ? (100 * (targetTicks - (mainThreadTicks(pid) - main0))) / targetTicks : Number.NaN;
  const cpuPct = { target: pct(ticksToMicros(targetTicks)), upstream: pct(ticksToMicros(cpuTicks(upPid) - upTicks0)), loadgen: pct(self.user + self.system) };
  const machine1 = machineCounters();
  const machine = { busyPct: pct(ticksToMicros(machine1.busy - machine0.busy)), cpuWaitPct: pct(machine1.stallUs - machine0.stallUs) };
  // The high-water mark is the process's whole life: it belongs to the cold run only.
  const hwmKb = state === 'cold' ? statusKb(pid, 'VmHWM') : peakKb;
  return {
    target: t.kind === 'bare' ? 'bare proxy' : 'gateway',
    state,
    count: s.count,
    maxOpen: run.maxOpen,
    completed: run.completed,
    failed: run.errors.total,
    errorSummary: run.errors.summary(),
    ttfb: summarize(run.ttfb),
    delay: summarize(run.delays),
    idleRssMb: idleKb / 1024,
    peakRssMb: peakKb / 1024,
    hwmMb: hwmKb / 1024,
    rssPerStreamKb: (Math.max(peakKb, hwmKb) - idleKb) / s.count,
    eldP99Ms: await readEld(t.origin, t.kind === 'gateway'),
    upstreamEldP99Ms: await readEld(t.upOrigin, false),
    clientEldP99Ms: run.clientEldP99,
    cpuPct,
    helperSharePct,
    machine,
    seconds: run.seconds,
  };
}

/**
 * Runs the scenarios, bare proxy then gateway in each, and logs one line per target as it goes.
 *
 * @example
 * const result = await streamsPhase({ cli: 'dist/src/cli.js', tempDir: '/tmp/bench' });
 */
export async function streamsPhase(o: { cli: string; tempDir: string }): Promise<StreamsResult> {
  const fdLimit = openFilesLimit();
  const notes: string[] = [];
  const fast = count('BENCH_STREAMS_FAST', 1000);
  let slow = count('BENCH_STREAMS_SLOW', 9000);
  // The gateway holds two sockets per stream (client and upstream); keep room for everything else.
  const room = Math.floor((fdLimit.soft - 500) / 2);
  if (slow > room) {
    notes.push(`open files limit ${fdLimit.soft} (hard ${fdLimit.hard}) leaves room for ${room} proxied streams: slow scenario cut from ${slow} to ${room}`);
    slow = room;
  }
  const scenarios: StreamScenario[] = [
    ...(fast > 0 ? [{ name: `${fast} streams, 60 events 50 ms apart`, count: fast, chunks: 60, gapMs: 50, rampMs: Math.max(100, fast / 2), delayTarget: true }] : []),
    ...(slow > 0 ? [{ name: `${slow} slow streams, 10 events 1 s apart`, count: slow, chunks: 10, gapMs: 1000, rampMs: Math.max(500, slow / 3) }] : []),
  ];
  const trialCount = Math.max(1, count('BENCH_STREAMS_TRIALS', 3));
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    console.log(`  ${s.name}, opened over ${s.rampMs} ms; ${trialCount} trial${trialCount === 1 ? '' : 's'}, bare proxy and gateway in turn`);
    const trials: Trial[] = [];
    for (let i = 1; i <= trialCount; i++) {
      const bare = await measureTarget('bare', s, o.cli, o.tempDir);
      console.log(`    ${i}. ${line(bare.cold)}\n    ${i}. ${line(bare.warm)}`);
      const gateway = await measureTarget('gateway', s, o.cli, o.tempDir);
      console.log(`    ${i}. ${line(gateway.cold)}\n    ${i}. ${line(gateway.warm)}`);
      trials.push({ cold: { bare: bare.cold, gateway: gateway.cold }, warm: { bare: bare.warm, gateway: gateway.warm } });
    }
    results.push({ scenario: s, ...foldTrials(trials), trials });
  }
  return { scenarios: results, fdLimit, notes };
}

const f = (n: number, d = 1): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function line(x: StreamFigures): string {
  return (
    `${`${x.target}, ${x.state}`.padEnd(16)} open at once ${x.maxOpen}/${x.count}, completed ${x.completed}, failed ${x.failed}; 1st event p50/p99 ${f(x.ttfb.p50, 2)}/${f(x.ttfb.p99, 2)} ms; ` +
    `added delay p50/p99 ${f(x.delay.p50, 2)}/${f(x.delay.p99, 2)} ms; RSS idle ${f(x.idleRssMb)} peak ${f(x.peakRssMb)} MB (${f(x.rssPerStreamKb)} kB/stream); ` +
    `ELD p99 ${f(x.eldP99Ms, 2)} ms; CPU target ${f(x.cpuPct.target, 0)}% (${f(x.helperSharePct, 0)}% off its main thread) upstream ${f(x.cpuPct.upstream, 0)}% loadgen ${f(x.cpuPct.loadgen, 0)}%, machine ${f(x.machine.busyPct, 0)}%; ${f(x.seconds)} s` +
    (x.failed > 0 ? `; errors: ${x.errorSummary}` : '')
  );
}

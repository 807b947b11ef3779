/** Figures per target, the gateway's ratios to the bare proxy, the table and the BENCH_JSON line. */
import { median, type Latency } from './load.js';

export interface RoundResult {
  rps: number;
  cpuUsPerReq: number;
  /** CPU of the target / upstream / bench process during the throughput phase, % of one core. */
  cpuPct: number;
  upstreamCpuPct: number;
  benchCpuPct: number;
  seq: Latency;
  open: Latency & { achievedRate: number };
  stream: Latency;
}

export interface TargetFigures {
  rps: number;
  cpuUsPerReq: number;
  cpuPct: number;
  upstreamCpuPct: number;
  benchCpuPct: number;
  seqP50: number;
  seqP99: number;
  openP50: number;
  openP99: number;
  openAchievedRate: number;
  streamP50: number;
  streamP99: number;
  peakRssMb: number;
  requests: number;
  errors: number;
  errorSummary: string;
}

/** Each figure is the median of that figure over the rounds. */
export function aggregate(rounds: RoundResult[], peakRssKb: number, requests: number, errors: number, errorSummary: string): TargetFigures {
  const m = (f: (r: RoundResult) => number): number => median(rounds.map(f));
  return {
    rps: m((r) => r.rps),
    cpuUsPerReq: m((r) => r.cpuUsPerReq),
    cpuPct: m((r) => r.cpuPct),
    upstreamCpuPct: m((r) => r.upstreamCpuPct),
    benchCpuPct: m((r) => r.benchCpuPct),
    seqP50: m((r) => r.seq.p50),
    seqP99: m((r) => r.seq.p99),
    openP50: m((r) => r.open.p50),
    openP99: m((r) => r.open.p99),
    openAchievedRate: m((r) => r.open.achievedRate),
    streamP50: m((r) => r.stream.p50),
    streamP99: m((r) => r.stream.p99),
    peakRssMb: peakRssKb / 1024,
    requests,
    errors,
    errorSummary,
  };
}

export interface Check {
  name: string;
  key: string;
  value: number;
  unit: 'x' | 'ms';
  op: '>=' | '<=' | '<';
  limit: number;
  pass: boolean;
}

export function checks(bare: TargetFigures, gw: TargetFigures): Check[] {
  const mk = (name: string, key: string, value: number, unit: 'x' | 'ms', op: Check['op'], limit: number): Check => ({
    name,
    key,
    value,
    unit,
    op,
    limit,
    pass: op === '>=' ? value >= limit : op === '<=' ? value <= limit : value < limit,
  });
  return [
    mk('throughput ratio', 'throughput_ratio', gw.rps / bare.rps, 'x', '>=', 0.7),
    mk('CPU per request ratio', 'cpu_per_request_ratio', gw.cpuUsPerReq / bare.cpuUsPerReq, 'x', '<=', 1.5),
    mk('sequential latency p50 delta', 'sequential_p50_delta_ms', gw.seqP50 - bare.seqP50, 'ms', '<=', 0.3),
    mk('stream first-chunk p50 delta', 'stream_first_chunk_p50_delta_ms', gw.streamP50 - bare.streamP50, 'ms', '<=', 0.3),
    mk('peak RSS ratio', 'peak_rss_ratio', gw.peakRssMb / bare.peakRssMb, 'x', '<', 1.5),
  ];
}

const f = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pad = (s: string, w: number): string => s.padEnd(w);
const lpad = (s: string, w: number): string => s.padStart(w);

export function roundLine(round: number, name: string, r: RoundResult): string {
  return (
    `round ${round} ${pad(name, 10)} ${lpad(f(r.rps, 0), 6)} req/s  cpu ${lpad(f(r.cpuUsPerReq, 0), 4)} µs/req (${f(r.cpuPct, 0)}% core; upstream ${f(r.upstreamCpuPct, 0)}%, loadgen ${f(r.benchCpuPct, 0)}%)` +
    `  seq p50/p99 ${f(r.seq.p50, 3)}/${f(r.seq.p99, 3)} ms  open ${f(r.open.achievedRate, 0)}/s p50/p99 ${f(r.open.p50, 3)}/${f(r.open.p99, 3)} ms` +
    `  stream 1st p50/p99 ${f(r.stream.p50, 3)}/${f(r.stream.p99, 3)} ms`
  );
}

export function table(bare: TargetFigures, gw: TargetFigures, rate: number, concurrency: number): string {
  const W = 44;
  const C = 16;
  const row = (label: string, a: string, b: string): string => `${pad(label, W)}${lpad(a, C)}${lpad(b, C)}`;
  const pair = (x: number, y: number, d = 3): string => `${f(x, d)} / ${f(y, d)}`;
  const lines = [
    row('', 'bare proxy', 'gateway'),
    row(`throughput, ${concurrency} in flight (req/s)`, f(bare.rps, 0), f(gw.rps, 0)),
    row('proxy CPU per request (µs)', f(bare.cpuUsPerReq, 1), f(gw.cpuUsPerReq, 1)),
    row('  proxy CPU during throughput (% core)', f(bare.cpuPct, 0), f(gw.cpuPct, 0)),
    row('  upstream CPU during throughput (% core)', f(bare.upstreamCpuPct, 0), f(gw.upstreamCpuPct, 0)),
    row('  load generator CPU (% core)', f(bare.benchCpuPct, 0), f(gw.benchCpuPct, 0)),
    row('sequential latency p50 / p99 (ms)', pair(bare.seqP50, bare.seqP99), pair(gw.seqP50, gw.seqP99)),
    row(`open loop ${rate}/s latency p50 / p99 (ms)`, pair(bare.openP50, bare.openP99), pair(gw.openP50, gw.openP99)),
    row('  open loop achieved rate (req/s)', f(bare.openAchievedRate, 0), f(gw.openAchievedRate, 0)),
    row('stream first chunk p50 / p99 (ms)', pair(bare.streamP50, bare.streamP99), pair(gw.streamP50, gw.streamP99)),
    row('peak RSS, VmHWM (MB)', f(bare.peakRssMb, 1), f(gw.peakRssMb, 1)),
    row('requests sent / errors', `${bare.requests} / ${bare.errors}`, `${gw.requests} / ${gw.errors}`),
  ];
  if (bare.errors > 0) lines.push(`  bare proxy errors: ${bare.errorSummary}`);
  if (gw.errors > 0) lines.push(`  gateway errors: ${gw.errorSummary}`);
  return lines.join('\n');
}

export function checkTable(list: Check[], bare: TargetFigures, gw: TargetFigures): string {
  const show = (c: Check): string => (c.unit === 'x' ? `${f(c.value)}x` : `${c.value >= 0 ? '+' : ''}${f(c.value, 3)} ms`);
  const lim = (c: Check): string => (c.unit === 'x' ? `${c.op} ${f(c.limit)}x` : `${c.op} ${f(c.limit)} ms`);
  const lines = [`${pad('gateway vs bare proxy', 34)}${lpad('measured', 14)}   ${pad('target', 12)}result`];
  for (const c of list) lines.push(`${pad(c.name, 34)}${lpad(show(c), 14)}   ${pad(lim(c), 12)}${c.pass ? 'PASS' : 'FAIL'}`);
  const d = (x: number): string => `${x >= 0 ? '+' : ''}${f(x, 3)} ms`;
  lines.push(
    `${pad('(info) sequential p99 delta', 34)}${lpad(d(gw.seqP99 - bare.seqP99), 14)}`,
    `${pad('(info) open loop p50 / p99 delta', 34)}${lpad(d(gw.openP50 - bare.openP50), 14)} / ${d(gw.openP99 - bare.openP99)}`,
    `${pad('(info) stream first-chunk p99 delta', 34)}${lpad(d(gw.streamP99 - bare.streamP99), 14)}`,
  );
  return lines.join('\n');
}

/** Figures per target, the gateway's ratios to the bare proxy, what Redis state adds, the tables. */
import { type Latency, median } from './load.js';

export interface RoundResult {
  rps: number;
  cpuUsPerReq: number;
  /** CPU of the target / upstream / bench process during the throughput phase, % of one core. */
  cpuPct: number;
  upstreamCpuPct: number;
  benchCpuPct: number;
  /** Only for the gateway+redis target: redis-server CPU during the throughput phase (% of one core, µs per request). */
  redisCpuPct?: number;
  redisCpuUsPerReq?: number;
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
  redisCpuPct?: number;
  redisCpuUsPerReq?: number;
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
  const redis = rounds.every((r) => r.redisCpuPct !== undefined && r.redisCpuUsPerReq !== undefined)
    ? { redisCpuPct: m((r) => r.redisCpuPct ?? Number.NaN), redisCpuUsPerReq: m((r) => r.redisCpuUsPerReq ?? Number.NaN) }
    : {};
  return {
    rps: m((r) => r.rps),
    cpuUsPerReq: m((r) => r.cpuUsPerReq),
    cpuPct: m((r) => r.cpuPct),
    upstreamCpuPct: m((r) => r.upstreamCpuPct),
    benchCpuPct: m((r) => r.benchCpuPct),
    ...redis,
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

/**
 * The gateway's figure over the bare proxy's, round by round: rounds run bare, gateway, bare, ... a few
 * seconds apart, so a pair falls in the same state of this machine (its slow spells, when every process
 * runs about 1.6x slower, last minutes), where a median of each target's own rounds can mix states.
 */
export function pairedRatios(bare: readonly RoundResult[], gw: readonly RoundResult[], pick: (r: RoundResult) => number): number[] {
  const n = Math.min(bare.length, gw.length);
  return Array.from({ length: n }, (_, i) => pick(gw[i]!) / pick(bare[i]!));
}

/** The targets; throughput and CPU judged on the median of the rounds' paired ratios. */
export function checks(bare: TargetFigures, gw: TargetFigures, bareRounds: readonly RoundResult[], gwRounds: readonly RoundResult[]): Check[] {
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
    mk('throughput ratio', 'throughput_ratio', median(pairedRatios(bareRounds, gwRounds, (r) => r.rps)), 'x', '>=', 0.6),
    mk('CPU per request ratio', 'cpu_per_request_ratio', median(pairedRatios(bareRounds, gwRounds, (r) => r.cpuUsPerReq)), 'x', '<=', 2),
    mk('sequential latency p50 delta', 'sequential_p50_delta_ms', gw.seqP50 - bare.seqP50, 'ms', '<=', 0.3),
    mk('stream first-chunk p50 delta', 'stream_first_chunk_p50_delta_ms', gw.streamP50 - bare.streamP50, 'ms', '<=', 0.3),
    mk('peak RSS ratio', 'peak_rss_ratio', gw.peakRssMb / bare.peakRssMb, 'x', '<=', 1.3),
  ];
}

const f = (n: number, d = 2): string => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const pad = (s: string, w: number): string => s.padEnd(w);
const lpad = (s: string, w: number): string => s.padStart(w);

export function roundLine(round: number, name: string, r: RoundResult): string {
  return (
    `round ${round} ${pad(name, 13)} ${lpad(f(r.rps, 0), 6)} req/s  cpu ${lpad(f(r.cpuUsPerReq, 0), 4)} µs/req (${f(r.cpuPct, 0)}% core; upstream ${f(r.upstreamCpuPct, 0)}%, ` +
    `${r.redisCpuPct !== undefined ? `redis ${f(r.redisCpuPct, 0)}%, ` : ''}loadgen ${f(r.benchCpuPct, 0)}%)` +
    `  seq p50/p99 ${f(r.seq.p50, 3)}/${f(r.seq.p99, 3)} ms  open ${f(r.open.achievedRate, 0)}/s p50/p99 ${f(r.open.p50, 3)}/${f(r.open.p99, 3)} ms` +
    `  stream 1st p50/p99 ${f(r.stream.p50, 3)}/${f(r.stream.p99, 3)} ms`
  );
}

export interface Column {
  name: string;
  fig: TargetFigures;
}

export function table(cols: readonly Column[], rate: number, concurrency: number): string {
  const W = 44;
  const C = 16;
  const row = (label: string, cell: (x: TargetFigures) => string): string => `${pad(label, W)}${cols.map((c) => lpad(cell(c.fig), C)).join('')}`;
  const pair = (x: number, y: number, d = 3): string => `${f(x, d)} / ${f(y, d)}`;
  const opt = (v: number | undefined, d: number): string => (v === undefined ? '-' : f(v, d));
  const lines = [
    `${pad('', W)}${cols.map((c) => lpad(c.name, C)).join('')}`,
    row(`throughput, ${concurrency} in flight (req/s)`, (x) => f(x.rps, 0)),
    row('proxy CPU per request (µs)', (x) => f(x.cpuUsPerReq, 1)),
    row('  proxy CPU during throughput (% core)', (x) => f(x.cpuPct, 0)),
    row('  upstream CPU during throughput (% core)', (x) => f(x.upstreamCpuPct, 0)),
  ];
  if (cols.some((c) => c.fig.redisCpuPct !== undefined)) {
    lines.push(
      row('  redis-server CPU during throughput (% core)', (x) => opt(x.redisCpuPct, 0)),
      row('  redis-server CPU per request (µs)', (x) => opt(x.redisCpuUsPerReq, 1)),
    );
  }
  lines.push(
    row('  load generator CPU (% core)', (x) => f(x.benchCpuPct, 0)),
    row('sequential latency p50 / p99 (ms)', (x) => pair(x.seqP50, x.seqP99)),
    row(`open loop ${rate}/s latency p50 / p99 (ms)`, (x) => pair(x.openP50, x.openP99)),
    row('  open loop achieved rate (req/s)', (x) => f(x.openAchievedRate, 0)),
    row('stream first chunk p50 / p99 (ms)', (x) => pair(x.streamP50, x.streamP99)),
    row('peak RSS, VmHWM (MB)', (x) => f(x.peakRssMb, 1)),
    row('requests sent / errors', (x) => `${x.requests} / ${x.errors}`),
  );
  for (const c of cols) if (c.fig.errors > 0) lines.push(`  ${c.name} errors: ${c.fig.errorSummary}`);
  return lines.join('\n');
}

export function checkTable(list: Check[], bare: TargetFigures, gw: TargetFigures, bareRounds: readonly RoundResult[], gwRounds: readonly RoundResult[]): string {
  const show = (c: Check): string => (c.unit === 'x' ? `${f(c.value)}x` : `${c.value >= 0 ? '+' : ''}${f(c.value, 3)} ms`);
  const lim = (c: Check): string => (c.unit === 'x' ? `${c.op} ${f(c.limit)}x` : `${c.op} ${f(c.limit)} ms`);
  const lines = [`${pad('gateway vs bare proxy', 34)}${lpad('measured', 14)}   ${pad('target', 12)}result`];
  for (const c of list) lines.push(`${pad(c.name, 34)}${lpad(show(c), 14)}   ${pad(lim(c), 12)}${c.pass ? 'PASS' : 'FAIL'}`);
  const d = (x: number): string => `${x >= 0 ? '+' : ''}${f(x, 3)} ms`;
  const each = (pick: (r: RoundResult) => number): string =>
    pairedRatios(bareRounds, gwRounds, pick)
      .map((x) => `${f(x)}x`)
      .join(', ');
  lines.push(
    `${pad('(info) CPU ratio, round by round', 34)}${lpad(
      each((r) => r.cpuUsPerReq),
      14,
    )}`,
    `${pad('(info) throughput, round by round', 34)}${lpad(
      each((r) => r.rps),
      14,
    )}`,
    `${pad('(info) sequential p99 delta', 34)}${lpad(d(gw.seqP99 - bare.seqP99), 14)}`,
    `${pad('(info) open loop p50 / p99 delta', 34)}${lpad(d(gw.openP50 - bare.openP50), 14)} / ${d(gw.openP99 - bare.openP99)}`,
    `${pad('(info) stream first-chunk p99 delta', 34)}${lpad(d(gw.streamP99 - bare.streamP99), 14)}`,
  );
  return lines.join('\n');
}

export interface Delta {
  name: string;
  key: string;
  value: number;
  unit: 'x' | 'ms';
}

/** What the Redis-backed state costs: gateway+redis against the same gateway with in-process state. Information, no targets. */
export function redisDeltas(gw: TargetFigures, gr: TargetFigures): Delta[] {
  const list: Delta[] = [
    { name: 'sequential latency p50 delta', key: 'sequential_p50_delta_ms', value: gr.seqP50 - gw.seqP50, unit: 'ms' },
    { name: 'sequential latency p99 delta', key: 'sequential_p99_delta_ms', value: gr.seqP99 - gw.seqP99, unit: 'ms' },
    { name: 'open loop p50 delta', key: 'open_loop_p50_delta_ms', value: gr.openP50 - gw.openP50, unit: 'ms' },
    { name: 'open loop p99 delta', key: 'open_loop_p99_delta_ms', value: gr.openP99 - gw.openP99, unit: 'ms' },
    { name: 'stream first-chunk p50 delta', key: 'stream_first_chunk_p50_delta_ms', value: gr.streamP50 - gw.streamP50, unit: 'ms' },
    { name: 'stream first-chunk p99 delta', key: 'stream_first_chunk_p99_delta_ms', value: gr.streamP99 - gw.streamP99, unit: 'ms' },
    { name: 'throughput ratio', key: 'throughput_ratio', value: gr.rps / gw.rps, unit: 'x' },
    { name: 'gateway CPU per request ratio', key: 'cpu_per_request_ratio', value: gr.cpuUsPerReq / gw.cpuUsPerReq, unit: 'x' },
  ];
  if (gr.redisCpuUsPerReq !== undefined) {
    list.push({ name: '  incl. redis-server CPU', key: 'cpu_per_request_ratio_incl_redis_server', value: (gr.cpuUsPerReq + gr.redisCpuUsPerReq) / gw.cpuUsPerReq, unit: 'x' });
  }
  list.push({ name: 'peak RSS ratio', key: 'peak_rss_ratio', value: gr.peakRssMb / gw.peakRssMb, unit: 'x' });
  return list;
}

export function deltaTable(list: readonly Delta[]): string {
  const show = (d: Delta): string => (d.unit === 'x' ? `${f(d.value)}x` : `${d.value >= 0 ? '+' : ''}${f(d.value, 3)} ms`);
  const lines = ['gateway+redis vs gateway (in-process state): added by Redis state'];
  for (const d of list) lines.push(`${pad(d.name, 34)}${lpad(show(d), 14)}`);
  return lines.join('\n');
}

/**
 * The bench's main rounds: one target (the bare proxy, the gateway, the gateway on Redis) measured for
 * throughput and CPU in a closed loop, then sequential latency, an open loop at a fixed rate and the
 * time to a stream's first chunk. CPU comes from /proc: the target's own, the upstream's, the load
 * generator's (this process) and, for the Redis target, redis-server's.
 */
import { Client, Pool } from 'undici';
import { closedLoop, Errors, firstChunk, openLoop, sequential, summarize } from './load.js';
import { cpuTicks, freePort, spawnNode, ticksToMicros, waitHealthy } from './proc.js';
import type { RoundResult } from './report.js';

/** How long and how hard each part of a round runs. */
export interface RoundSettings {
  seconds: number;
  concurrency: number;
  warmupSeconds: number;
  sequentialCount: number;
  openRate: number;
  openSeconds: number;
  streamCount: number;
}

export interface Target {
  name: string;
  pid: number;
  pool: Pool;
  client: Client;
  errors: Errors;
  rounds: RoundResult[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A target's connections: a pool for the loops, one client for sequential requests. */
export function connect(name: string, pid: number, origin: string, concurrency: number): Target {
  const opts = { headersTimeout: 10_000, bodyTimeout: 10_000, keepAliveTimeout: 60_000 };
  return { name, pid, pool: new Pool(origin, { ...opts, connections: concurrency, pipelining: 1 }), client: new Client(origin, opts), errors: new Errors(), rounds: [] };
}

export async function warmUp(t: Target, s: RoundSettings, errors: Errors): Promise<void> {
  await closedLoop(t.pool, s.concurrency, s.warmupSeconds, errors);
  await sequential(t.client, 200, errors);
  await firstChunk(t.client, 100, errors);
}

/**
 * One round against `t`. `redisPid`: the redis-server this target uses, whose CPU is then reported
 * next to the target's own.
 *
 * @example
 * const result = await measureRound(target, settings, upstream.child.pid);
 */
export async function measureRound(t: Target, s: RoundSettings, upstreamPid: number, redisPid?: number): Promise<RoundResult> {
  const ticks0 = cpuTicks(t.pid);
  const upTicks0 = cpuTicks(upstreamPid);
  const redisTicks0 = redisPid === undefined ? 0 : cpuTicks(redisPid);
  const self0 = process.cpuUsage();
  const tp = await closedLoop(t.pool, s.concurrency, s.seconds, t.errors);
  const self = process.cpuUsage(self0);
  const wallUs = tp.seconds * 1e6;
  const cpuUs = ticksToMicros(cpuTicks(t.pid) - ticks0);
  const upCpuUs = ticksToMicros(cpuTicks(upstreamPid) - upTicks0);
  const redisCpuUs = redisPid === undefined ? undefined : ticksToMicros(cpuTicks(redisPid) - redisTicks0);
  await sleep(250);

  const scratch = new Errors(); // per-phase warm-up; errors still count
  await sequential(t.client, 100, scratch);
  const seq = summarize(await sequential(t.client, s.sequentialCount, t.errors));
  await sleep(100);

  const open = await openLoop(t.pool, s.openRate, s.openSeconds, t.errors);
  await sleep(100);

  await firstChunk(t.client, 50, scratch);
  const stream = summarize(await firstChunk(t.client, s.streamCount, t.errors));
  t.errors.merge(scratch);

  return {
    rps: tp.completed / tp.seconds,
    cpuUsPerReq: cpuUs / tp.completed,
    cpuPct: (cpuUs / wallUs) * 100,
    upstreamCpuPct: (upCpuUs / wallUs) * 100,
    benchCpuPct: ((self.user + self.system) / wallUs) * 100,
    ...(redisCpuUs === undefined ? {} : { redisCpuPct: (redisCpuUs / wallUs) * 100, redisCpuUsPerReq: redisCpuUs / tp.completed }),
    seq,
    open: { ...summarize(open.samples), achievedRate: open.sent / open.seconds },
    stream,
  };
}

/** The gateway's config for the rounds: one provider at the fake upstream, request logs at info, Redis when given. */
export function gatewayConfig(upstreamPort: number, redisUrl?: string): string {
  return [
    'server:',
    '  host: 127.0.0.1',
    'providers:',
    '  - name: bench',
    '    type: openai_compatible',
    `    base_url: http://127.0.0.1:${upstreamPort}/v1`,
    '    api_key: sk-bench',
    ...(redisUrl === undefined ? [] : ['redis:', `  url: ${redisUrl}`, '  key_prefix: "bench:"']),
    'logging:',
    '  level: info',
    '',
  ].join('\n');
}

/** `node <cli> serve` on a free port, resolved once its /health answers. */
export async function startGateway(cli: string, configFile: string): Promise<{ pid: number; port: number; origin: string }> {
  const port = await freePort();
  const child = spawnNode(cli, ['serve', '--config', configFile, '--port', String(port)]);
  const origin = `http://127.0.0.1:${port}`;
  await waitHealthy(origin, child);
  if (child.pid === undefined) throw new Error('gateway has no pid');
  return { pid: child.pid, port, origin };
}

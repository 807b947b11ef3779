/**
 * What client-key policy costs on the hot path: the same gateway with a plain client key, and with a
 * named key that has a model allow-list, rate limits and a budget, each in process and with Redis;
 * then every optional feature at once: that key on Redis with an Idempotency-Key on every request.
 * With Redis, the Redis commands per request are read off INFO (`total_commands_processed`): a rate
 * limit is reserved in leases (about one script per second per caller and instance), a budget is one
 * script before the call and one after.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Pool } from 'undici';
import { closedLoop, Errors, HEADERS, type Latency, type RequestHeaders, sequential, summarize } from './load.js';
import { freePort, spawnNode, waitHealthy } from './proc.js';

const KEY = 'sk-bench-client-0123456789';

export interface LimitsRow {
  name: string;
  rps: number;
  seq: Latency;
  /** Redis scripts (round trips) and commands per request (undefined without Redis). */
  redis?: { scriptsPerRequest: number; commandsPerRequest: number };
  errors: number;
}

function config(upstreamPort: number, policy: boolean, redisUrl?: string, prefix = 'bench-limits:'): string {
  const key = policy
    ? `    - { key: ${KEY}, name: bench, models: [gpt-4o-mini], rate_limits: { requests_per_minute: 100000000, tokens_per_minute: 1000000000000 }, budget: { usd_per_day: 1000000000 } }`
    : `    - ${KEY}`;
  return [
    'server: { host: 127.0.0.1 }',
    'providers:',
    '  - name: bench',
    '    type: openai_compatible',
    `    base_url: http://127.0.0.1:${upstreamPort}/v1`,
    '    api_key: sk-bench',
    '    pricing: { gpt-4o-mini: { input: 0.15, output: 0.6 } }',
    'auth:',
    '  keys:',
    key,
    ...(redisUrl ? [`redis: { url: ${redisUrl}, key_prefix: "${prefix}" }`] : []),
    'logging: { level: warn }',
    '',
  ].join('\n');
}

/** Scripts run (EVAL/EVALSHA: one round trip each) and commands run in all (those inside scripts too). */
const redisCounts = (port: number): { scripts: number; commands: number } => {
  const out = spawnSync('redis-cli', ['-p', String(port), 'info', 'all'], { encoding: 'utf8' }).stdout ?? '';
  const calls = (cmd: string) => Number(new RegExp(`cmdstat_${cmd}:calls=(\\d+)`).exec(out)?.[1] ?? 0);
  return { scripts: calls('eval') + calls('evalsha'), commands: Number(/total_commands_processed:(\d+)/.exec(out)?.[1] ?? Number.NaN) };
};

/**
 * Runs the configurations one after another (each: warm-up, a closed loop, sequential requests).
 *
 * @example
 * const rows = await limitsCost({ cli, tempDir, upstreamPort, redis: { url, port }, seconds: 4, sequentialCount: 1000, concurrency: 64 });
 */
export async function limitsCost(o: {
  cli: string;
  tempDir: string;
  upstreamPort: number;
  redis?: { url: string; port: number };
  seconds: number;
  sequentialCount: number;
  concurrency: number;
}): Promise<LimitsRow[]> {
  const variants: Array<{ name: string; policy: boolean; redis: boolean; idempotent?: boolean }> = [
    { name: 'plain key', policy: false, redis: false },
    { name: 'key with limits+budget', policy: true, redis: false },
    ...(o.redis
      ? [
          { name: 'plain key, redis', policy: false, redis: true },
          { name: 'key with limits+budget, redis', policy: true, redis: true },
          { name: 'all on: + Idempotency-Key, redis', policy: true, redis: true, idempotent: true },
        ]
      : []),
  ];
  const keyed = { ...HEADERS, authorization: `Bearer ${KEY}` };
  let n = 0;
  // A fresh key per request: each one is locked, answered and stored (none is a replay).
  const idempotent = () => ({ ...keyed, 'idempotency-key': `bench-${process.pid}-${n++}` });
  const rows: LimitsRow[] = [];
  for (const [i, v] of variants.entries()) {
    const headers: RequestHeaders = v.idempotent ? idempotent : keyed;
    const file = join(o.tempDir, `limits-${i}.yaml`);
    writeFileSync(file, config(o.upstreamPort, v.policy, v.redis ? o.redis?.url : undefined, `bench-limits-${i}:`));
    const port = await freePort();
    const child = spawnNode(o.cli, ['serve', '--config', file, '--port', String(port)]);
    const origin = `http://127.0.0.1:${port}`;
    await waitHealthy(origin, child);
    const pool = new Pool(origin, { connections: o.concurrency, pipelining: 1 });
    const client = new Client(origin);
    const errors = new Errors();
    try {
      await closedLoop(pool, o.concurrency, Math.min(2, o.seconds), new Errors(), headers);
      const before = v.redis && o.redis ? redisCounts(o.redis.port) : undefined;
      const tp = await closedLoop(pool, o.concurrency, o.seconds, errors, headers);
      const seq = summarize(await sequential(client, o.sequentialCount, errors, headers));
      const after = v.redis && o.redis ? redisCounts(o.redis.port) : undefined;
      const sent = tp.completed + o.sequentialCount;
      rows.push({
        name: v.name,
        rps: tp.completed / tp.seconds,
        seq,
        ...(before && after ? { redis: { scriptsPerRequest: (after.scripts - before.scripts) / sent, commandsPerRequest: (after.commands - before.commands - 1) / sent } } : {}),
        errors: errors.total,
      });
    } finally {
      await Promise.allSettled([pool.destroy(), client.destroy()]);
      child.kill('SIGTERM');
    }
  }
  return rows;
}

/** The phase's table. */
export function limitsTable(rows: LimitsRow[]): string {
  const lines = ['client-key policy on the hot path    closed-loop rps   sequential p50   p99       redis scripts (commands) per request'];
  for (const r of rows) {
    lines.push(
      `  ${r.name.padEnd(34)} ${r.rps.toFixed(0).padStart(9)}       ${r.seq.p50.toFixed(3).padStart(8)} ms  ${r.seq.p99.toFixed(3).padStart(7)} ms  ${r.redis === undefined ? '-' : `${r.redis.scriptsPerRequest.toFixed(2)} (${r.redis.commandsPerRequest.toFixed(2)})`}${r.errors ? `  (${r.errors} failed)` : ''}`,
    );
  }
  return lines.join('\n');
}

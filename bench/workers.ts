/**
 * Multi-process scaling (`server.workers`): the same gateway on Redis with 1, then 2 worker processes
 * (Node's cluster), each under the same closed loop; throughput, and CPU per request of the whole
 * process tree (the primary and its workers, read off /proc). On a machine whose cores are shared with
 * the upstream and the load generator, this says how much a second worker can still add.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Pool } from 'undici';
import { closedLoop, Errors } from './load.js';
import { cpuTicks, oneProviderConfig, serveGateway, stopChild, ticksToMicros } from './proc.js';

export interface WorkersRow {
  workers: number;
  rps: number;
  /** CPU of the primary and every worker, per request. */
  cpuUsPerRequest: number;
  errors: number;
}

/** The pids of `root` and its descendants (cluster workers are children of the primary). */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      parentOf.set(pid, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

const treeTicks = (pids: readonly number[]): number =>
  pids.reduce((sum, pid) => {
    try {
      return sum + cpuTicks(pid);
    } catch {
      return sum;
    }
  }, 0);

/**
 * Runs the gateway with 1 and 2 workers on `redisUrl` in turn.
 *
 * @example
 * const rows = await workersScaling({ cli, tempDir, upstreamPort, redisUrl, seconds: 4, concurrency: 64 });
 */
export async function workersScaling(o: { cli: string; tempDir: string; upstreamPort: number; redisUrl: string; seconds: number; concurrency: number }): Promise<WorkersRow[]> {
  const rows: WorkersRow[] = [];
  for (const workers of [1, 2]) {
    const file = join(o.tempDir, `workers-${workers}.yaml`);
    writeFileSync(
      file,
      oneProviderConfig(o.upstreamPort, [`redis: { url: ${o.redisUrl}, key_prefix: "bench-workers-${workers}:" }`, 'logging: { level: info }']).replace(
        'server: { host: 127.0.0.1 }',
        `server: { host: 127.0.0.1, workers: ${workers} }`,
      ),
    );
    const { child, origin } = await serveGateway(o.cli, file);
    const pool = new Pool(origin, { connections: o.concurrency, pipelining: 1 });
    const errors = new Errors();
    try {
      // Warm every worker up: connections are spread over them as they are accepted.
      await closedLoop(pool, o.concurrency, Math.min(2, o.seconds), new Errors());
      const pids = processTree(child.pid!);
      const before = treeTicks(pids);
      const tp = await closedLoop(pool, o.concurrency, o.seconds, errors);
      rows.push({ workers, rps: tp.completed / tp.seconds, cpuUsPerRequest: ticksToMicros(treeTicks(pids) - before) / tp.completed, errors: errors.total });
    } finally {
      await pool.destroy();
      await stopChild(child);
    }
  }
  return rows;
}

/** The phase's table. */
export function workersTable(rows: WorkersRow[]): string {
  const one = rows.find((r) => r.workers === 1);
  const lines = ['server.workers (on redis)   closed-loop rps   vs 1 worker   CPU per request (all processes)'];
  for (const r of rows) {
    const scale = one ? `${(r.rps / one.rps).toFixed(2)}x` : '-';
    lines.push(`  ${String(r.workers).padEnd(26)} ${r.rps.toFixed(0).padStart(9)}       ${scale.padStart(6)}        ${r.cpuUsPerRequest.toFixed(0)} µs${r.errors ? `  (${r.errors} failed)` : ''}`);
  }
  return lines.join('\n');
}

/**
 * Real Redis topologies for tests: a three-node Cluster and a master watched by a Sentinel, each on
 * free loopback ports with nothing persisted, built with the redis-server and redis-cli binaries.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeClusterPort, freePort } from './free-port.js';
import { eventually } from './redis-server.js';

const cli = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8', timeout: 10_000 });

class Processes {
  readonly procs: ChildProcess[] = [];
  readonly dir = mkdtempSync(join(tmpdir(), 'switchyard-redis-'));

  async server(port: number, args: string[]): Promise<void> {
    this.procs.push(spawn('redis-server', [...args, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir], { stdio: 'ignore' }));
    if (!(await eventually(() => cli(port, 'ping').stdout.trim() === 'PONG', 10_000))) throw new Error(`redis-server did not start on ${port}`);
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map((p) => {
        if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
        const exited = new Promise((r) => p.once('exit', r));
        p.kill('SIGKILL');
        return exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Topology {
  /** The `redis:` config section that reaches it. */
  yaml: string;
  stop(): Promise<void>;
}

/** Three masters, slots spread over them. */
export async function startCluster(): Promise<Topology> {
  const p = new Processes();
  const ports = [await freeClusterPort(), await freeClusterPort(), await freeClusterPort()];
  for (const port of ports) await p.server(port, ['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '5000']);
  const created = spawnSync('redis-cli', ['--cluster', 'create', ...ports.map((x) => `127.0.0.1:${x}`), '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8', timeout: 20_000 });
  if (created.status !== 0) throw new Error(`cluster create failed: ${created.stdout}${created.stderr}`);
  const ok = await eventually(() => ports.every((x) => cli(x, 'cluster', 'info').stdout.includes('cluster_state:ok')), 15_000);
  if (!ok) throw new Error('cluster did not reach cluster_state:ok');
  return { yaml: `redis: { cluster: [${ports.map((x) => `"127.0.0.1:${x}"`).join(', ')}], flush_interval_ms: 100 }`, stop: () => p.stop() };
}

/** A master and one Sentinel watching it as `mymaster`. */
export async function startSentinel(): Promise<Topology> {
  const p = new Processes();
  const master = await freePort();
  const sentinel = await freePort();
  await p.server(master, []);
  const conf = join(p.dir, 'sentinel.conf');
  writeFileSync(conf, `sentinel monitor mymaster 127.0.0.1 ${master} 1\nsentinel down-after-milliseconds mymaster 5000\n`);
  p.procs.push(spawn('redis-server', [conf, '--sentinel', '--port', String(sentinel), '--bind', '127.0.0.1'], { stdio: 'ignore' }));
  const ok = await eventually(() => cli(sentinel, 'sentinel', 'get-master-addr-by-name', 'mymaster').stdout.includes(String(master)), 10_000);
  if (!ok) throw new Error('sentinel did not start');
  return { yaml: `redis: { sentinels: ["127.0.0.1:${sentinel}"], sentinel_name: mymaster, flush_interval_ms: 100 }`, stop: () => p.stop() };
}

/**
 * A fleet of real gateway processes (`node dist/src/cli.js serve`) on one config file, each on its own
 * free port: what a deployment of several instances behind a load balancer runs.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

const CLI = join(process.cwd(), 'dist/src/cli.js');

export interface Instance {
  url: string;
  /** What the process wrote to stdout and stderr. */
  output(): string;
}

export class Fleet {
  private constructor(
    readonly instances: Instance[],
    private readonly children: ChildProcess[],
    private readonly dir: string,
  ) {}

  /** Starts `n` processes on `yaml` and waits until every one answers /health. */
  static async start(n: number, yaml: string): Promise<Fleet> {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-fleet-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, yaml);
    const children: ChildProcess[] = [];
    const instances: Instance[] = [];
    for (let i = 0; i < n; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port)], { env: { PATH: process.env.PATH, SWITCHYARD_CONFIG: file }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
      children.push(child);
      instances.push({ url: `http://127.0.0.1:${port}`, output: () => out });
    }
    const fleet = new Fleet(instances, children, dir);
    for (const inst of instances) {
      let up = false;
      const child = children[instances.indexOf(inst)]!;
      for (let i = 0; i < 200 && !up && child.exitCode === null; i++) {
        up = (await fetch(`${inst.url}/health`).catch(() => undefined)) !== undefined;
        if (!up) await new Promise((r) => setTimeout(r, 50));
      }
      if (!up) {
        await fleet.stop();
        throw new Error(`instance ${inst.url} did not start: ${inst.output()}`);
      }
    }
    return fleet;
  }

  /** SIGTERM to every process (a graceful drain), then waits for them to exit. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.map((c) => {
        if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
        const exited = new Promise((r) => c.once('exit', r));
        c.kill('SIGTERM');
        return exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Child processes for the bench and what /proc says about them. Linux only. */
import { type ChildProcess, execSync, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { request } from 'undici';

/** Clock ticks per second of utime/stime in /proc/<pid>/stat. */
export const CLK_TCK: number = (() => {
  try {
    const n = Number(execSync('getconf CLK_TCK', { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in clock ticks. */
export function cpuTicks(pid: number): number {
  return ticksOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/**
 * User + system CPU ticks of a process's main thread alone (where its JavaScript runs); the rest of
 * `cpuTicks` is V8's helper threads (parallel and concurrent GC, optimising compiles) and libuv's pool.
 */
export function mainThreadTicks(pid: number): number {
  return ticksOf(readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8'));
}

function ticksOf(stat: string): number {
  // The command name (field 2) may contain spaces and parentheses; fields after it are plain.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so utime (field 14) is rest[11] and stime (field 15) rest[12].
  return Number(rest[11]) + Number(rest[12]);
}

export const ticksToMicros = (ticks: number): number => (ticks * 1_000_000) / CLK_TCK;

/** A field of /proc/<pid>/status in kB (VmHWM = peak RSS, VmRSS = current RSS). */
export function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  if (!m?.[1]) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

interface ReadyMessage {
  type: 'ready';
  port: number;
}

function isReady(m: unknown): m is ReadyMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'ready' && typeof (m as { port?: unknown }).port === 'number';
}

/** Forks a compiled bench entry and waits for its `{ type: 'ready', port }` message. */
export async function forkReady(entry: string, args: string[], timeoutMs = 10_000): Promise<{ child: ChildProcess; port: number }> {
  const child = track(fork(entry, args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] }));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry}: not ready after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited early (code ${code}, signal ${signal})`));
    });
    child.on('message', (m: unknown) => {
      if (!isReady(m)) return;
      clearTimeout(timer);
      resolve(m.port);
    });
  });
  return { child, port };
}

/** Spawns any command with all stdio ignored, tracked like the other children (killAll, killAllNow). */
export function spawnQuiet(command: string, args: string[]): ChildProcess {
  return track(spawn(command, args, { stdio: 'ignore' }));
}

/**
 * The node flags a script's shebang carries (`#!/usr/bin/env -S node --flag` gives `['--flag']`), so the
 * bench runs the gateway as its bin runs.
 */
export function shebangFlags(script: string): string[] {
  const first = readFileSync(script, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!.*\bnode((?:\s+-\S+)*)\s*$/.exec(first);
  return m?.[1] ? m[1].trim().split(/\s+/) : [];
}

/** Spawns `node <its shebang's flags> <script> ...args` with stdout discarded and stderr shown. */
export function spawnNode(script: string, args: string[]): ChildProcess {
  return track(spawn(process.execPath, [...shebangFlags(script), script, ...args], { stdio: ['ignore', 'ignore', 'inherit'] }));
}

/** Polls GET <origin>/health until it answers 200. */
export async function waitHealthy(origin: string, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  while (performance.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`gateway exited (code ${child.exitCode}, signal ${child.signalCode}) before /health answered`);
    try {
      const res = await request(`${origin}/health`, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      const text = await res.body.text();
      if (res.statusCode === 200) return;
      last = `${res.statusCode} ${text.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${origin}/health did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** SIGTERM every child still running, SIGKILL whatever is left after `graceMs`. */
export async function killAll(graceMs = 2_000): Promise<void> {
  const alive = [...children].filter((c) => c.exitCode === null && c.signalCode === null);
  const exited = alive.map((c) => new Promise<void>((r) => c.once('exit', () => r())));
  for (const c of alive) c.kill('SIGTERM');
  const timer = setTimeout(() => {
    for (const c of alive) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }, graceMs);
  await Promise.all(exited);
  clearTimeout(timer);
}

/** Last resort on process exit: synchronous SIGKILL of every child still running. */
export function killAllNow(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}

/** SIGTERM one child, SIGKILL if it is still running after `graceMs`; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A gateway config with one provider "bench" at the fake upstream on `upstreamPort`, then `extra` top-level YAML lines. */
export function oneProviderConfig(upstreamPort: number, extra: readonly string[]): string {
  const provider = ['providers:', '  - name: bench', '    type: openai_compatible', `    base_url: http://127.0.0.1:${upstreamPort}/v1`, '    api_key: sk-bench'];
  return ['server: { host: 127.0.0.1 }', ...provider, ...extra, ''].join('\n');
}

/** `node <cli> serve --config <file>` on a free port, resolved once its /health answers 200. */
export async function serveGateway(cli: string, configFile: string): Promise<{ child: ChildProcess; origin: string }> {
  const port = await freePort();
  const child = spawnNode(cli, ['serve', '--config', configFile, '--port', String(port)]);
  const origin = `http://127.0.0.1:${port}`;
  await waitHealthy(origin, child);
  return { child, origin };
}

/** The bench's own redis-server: a free loopback port, nothing persisted, tracked with the other children. */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection } from 'node:net';
import { delimiter, join } from 'node:path';
import { request } from 'undici';
import { freePort, spawnQuiet } from './proc.js';

/** The first executable `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** True when a RESP PING on 127.0.0.1:port is answered +PONG within `timeoutMs`. */
export function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}

export interface RedisProcess {
  child: ChildProcess;
  port: number;
  url: string;
}

/**
 * Starts `redis-server` on a free port and waits (at most `timeoutMs`) until it answers PING.
 * Tries a few ports in case another process takes the free one first. Throws when it cannot start.
 */
export async function startRedis(binary: string, timeoutMs = 5_000): Promise<RedisProcess> {
  let lastError = 'not tried';
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawnQuiet(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    let spawnError: Error | undefined;
    child.once('error', (err) => {
      spawnError = err;
    });
    const deadline = performance.now() + timeoutMs;
    while (performance.now() < deadline) {
      if (spawnError) break;
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await ping(port)) return { child, port, url: `redis://127.0.0.1:${port}` };
      await new Promise((r) => setTimeout(r, 50));
    }
    lastError = spawnError
      ? spawnError.message
      : child.exitCode !== null || child.signalCode !== null
        ? `exited (code ${child.exitCode}, signal ${child.signalCode}) on port ${port}`
        : `no PONG on port ${port} within ${timeoutMs} ms`;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  throw new Error(`redis-server did not start: ${lastError}`);
}

export interface RedisView {
  /** `source` of GET /stats: 'redis' when the shared measurements answered. */
  statsSource: string;
  /** switchyard_redis_up (NaN when absent). */
  redisUp: number;
  /** switchyard_redis_errors_total by its `op` label. */
  errorsByOp: Record<string, number>;
  errors: number;
}

/** What a gateway with Redis state says about its Redis, from GET /stats and GET /metrics. */
export async function redisView(origin: string): Promise<RedisView> {
  const opts = { headersTimeout: 5_000, bodyTimeout: 5_000 };
  const stats: unknown = await (await request(`${origin}/stats`, opts)).body.json();
  const source = typeof stats === 'object' && stats !== null ? (stats as { source?: unknown }).source : undefined;
  const metrics = await (await request(`${origin}/metrics`, opts)).body.text();
  let redisUp = Number.NaN;
  const errorsByOp: Record<string, number> = {};
  for (const line of metrics.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (!Number.isFinite(value)) continue;
    if (line.startsWith('switchyard_redis_up ')) redisUp = value;
    else if (line.startsWith('switchyard_redis_errors_total{')) {
      const op = /op="([^"]*)"/.exec(line)?.[1] ?? '?';
      errorsByOp[op] = (errorsByOp[op] ?? 0) + value;
    }
  }
  const errors = Object.values(errorsByOp).reduce((a, v) => a + v, 0);
  return { statsSource: typeof source === 'string' ? source : 'unknown', redisUp, errorsByOp, errors };
}

export function describeErrors(byOp: Record<string, number>): string {
  const parts = Object.entries(byOp)
    .filter(([, v]) => v > 0)
    .map(([k, v]) => `${k} ${v}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

/** Subscribers of `channel` on 127.0.0.1:port (PUBSUB NUMSUB), or undefined when Redis does not answer in time. */
export function numsub(port: number, channel: string, timeoutMs = 1_000): Promise<number | undefined> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (n: number | undefined): void => {
      s.destroy();
      resolve(n);
    };
    s.setTimeout(timeoutMs, () => done(undefined));
    s.once('error', () => done(undefined));
    s.once('connect', () => {
      const args = ['PUBSUB', 'NUMSUB', channel];
      s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
    });
    s.on('data', (d) => {
      reply += d.toString();
      // *2 $len channel :count
      const m = /^\*2\r\n\$\d+\r\n[^\r]*\r\n:(\d+)\r\n$/.exec(reply);
      if (m?.[1] !== undefined) done(Number(m[1]));
      else if (reply.startsWith('-')) done(undefined);
    });
  });
}

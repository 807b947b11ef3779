/**
 * What a stream costs the proxy process: a closed loop of streams through a bare proxy and a gateway
 * (each with its own streaming fake upstream), CPU per stream read off /proc. Two shapes: one-event
 * streams at 64 in flight (the set-up: request, first event, end) and 40-event streams 10 ms apart at
 * 200 in flight; the difference over 39 events is the cost of one relayed event. One process pair per
 * run, so read a few runs.
 *
 *   node dist/bench/stream-cost.js [cli = dist/src/cli.js] [seconds per loop = 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { Errors, streamBody, streamLoop } from './load.js';
import { cpuTicks, killAll, ticksToMicros } from './proc.js';
import { withStreamingTarget } from './streams.js';

const [cliArg, secondsText = '5'] = process.argv.slice(2);
const cli = resolve(cliArg ?? fileURLToPath(new URL('../src/cli.js', import.meta.url)));
const SECONDS = Number(secondsText);

interface Shape {
  events: number;
  gapMs: number;
  inFlight: number;
}

const SHAPES: Shape[] = [
  { events: 1, gapMs: 0, inFlight: 64 },
  { events: 40, gapMs: 10, inFlight: 200 },
];

/** Streams of `shape` in a closed loop for `seconds`: how many completed, and the CPU `pid` used. */
async function loop(origin: string, pid: number, shape: Shape, seconds: number): Promise<{ streams: number; cpuUs: number }> {
  const pool = new Pool(origin, { connections: shape.inFlight, pipelining: 1 });
  const errors = new Errors();
  const t0 = cpuTicks(pid);
  const run = await streamLoop(pool, shape.inFlight, seconds, streamBody(shape.events, shape.gapMs), errors);
  const cpuUs = ticksToMicros(cpuTicks(pid) - t0);
  await pool.destroy();
  if (errors.total > 0) throw new Error(`streams not whole: ${errors.summary()}`);
  return { streams: run.completed, cpuUs };
}

function measure(kind: 'bare' | 'gateway', shape: Shape, tempDir: string): Promise<number> {
  return withStreamingTarget(kind, cli, tempDir, async (origin, pid) => {
    await loop(origin, pid, shape, 3); // warm-up (JIT, connections)
    const run = await loop(origin, pid, shape, SECONDS);
    return run.cpuUs / run.streams;
  });
}

const tempDir = mkdtempSync(join(tmpdir(), 'switchyard-stream-cost-'));
try {
  console.log(`stream cost: CPU per stream of the proxy process, closed loops of ${SECONDS} s after 3 s of warm-up; gateway ${cli}`);
  const perStream: Record<'bare' | 'gateway', number[]> = { bare: [], gateway: [] };
  for (const shape of SHAPES) {
    for (const kind of ['bare', 'gateway'] as const) perStream[kind].push(await measure(kind, shape, tempDir));
    const [b, g] = [perStream.bare.at(-1)!, perStream.gateway.at(-1)!];
    console.log(`  ${shape.events} event(s) ${shape.gapMs} ms apart, ${shape.inFlight} in flight: bare proxy ${b.toFixed(1)} µs, gateway ${g.toFixed(1)} µs per stream (${(g / b).toFixed(2)}x)`);
  }
  const extra = SHAPES[1]!.events - SHAPES[0]!.events;
  const perEvent = (k: 'bare' | 'gateway') => (perStream[k][1]! - perStream[k][0]!) / extra;
  console.log(`  per further event: bare proxy ${perEvent('bare').toFixed(1)} µs, gateway ${perEvent('gateway').toFixed(1)} µs (${(perEvent('gateway') / perEvent('bare')).toFixed(2)}x)`);
} finally {
  await killAll();
  rmSync(tempDir, { recursive: true, force: true });
}

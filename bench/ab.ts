/**
 * A/B: two builds of the gateway side by side against one fake upstream, for "measure before and
 * after" on a hot-path change. CPU per request (read off /proc) and throughput in a closed loop at 64
 * in flight, over several fresh process pairs: two identical builds in one pair of processes differ by
 * up to 10-15% here (V8 decides per process what to inline and optimise), so one pair says little; the
 * pairs alternate which build starts first, and each pair runs two interleaved rounds.
 *
 *   git stash && npm run build && cp -r dist /tmp/before && git stash pop && npm run build
 *   node dist/bench/ab.js /tmp/before dist            (A/A with one build twice shows the noise floor)
 *
 * argv: build A's dist folder, build B's, [pairs = 5], [seconds per round = 2].
 * AB_EVENTS=N: streams of N events instead (a streaming fake upstream, events AB_GAP_MS apart, default
 * 10, AB_CONCURRENCY in flight, default 200), CPU per stream: one event measures a stream's set-up,
 * 40 its relaying too.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { closedLoop, Errors, median, streamBody, streamLoop } from './load.js';
import { cpuTicks, forkReady, freePort, killAll, spawnNode, stopChild, ticksToMicros, waitHealthy } from './proc.js';

const [distA, distB, pairsText = '5', secondsText = '2'] = process.argv.slice(2);
if (!distA || !distB) {
  console.error('usage: node dist/bench/ab.js <dist A> <dist B> [pairs] [seconds per round]');
  process.exit(2);
}
const pairs = Number(pairsText);
const seconds = Number(secondsText);
const EVENTS = Number(process.env.AB_EVENTS ?? '0');
const GAP_MS = Number(process.env.AB_GAP_MS ?? '10');
const CONCURRENCY = EVENTS > 0 ? Number(process.env.AB_CONCURRENCY ?? '200') : 64;
const STREAM_BODY = streamBody(EVENTS, GAP_MS);

const upstream = await forkReady(fileURLToPath(new URL(EVENTS > 0 ? './stream-upstream.js' : './upstream.js', import.meta.url)), ['0']);
const config = join(tmpdir(), `switchyard-ab-${process.pid}.yaml`);
writeFileSync(
  config,
  `server: { host: 127.0.0.1 }\nproviders:\n  - { name: bench, type: openai_compatible, base_url: "http://127.0.0.1:${upstream.port}/v1", api_key: sk-bench }\nlogging: { level: info }\n`,
);

interface Side {
  name: 'A' | 'B';
  dist: string;
  ticks: number;
  requests: number;
  seconds: number;
  /** CPU per request of each round. */
  rounds: number[];
}

const sides: Record<'A' | 'B', Side> = {
  A: { name: 'A', dist: distA, ticks: 0, requests: 0, seconds: 0, rounds: [] },
  B: { name: 'B', dist: distB, ticks: 0, requests: 0, seconds: 0, rounds: [] },
};
const errors = new Errors();

const loop = (pool: Pool, s: number): Promise<{ completed: number; seconds: number }> =>
  EVENTS > 0 ? streamLoop(pool, CONCURRENCY, s, STREAM_BODY, errors) : closedLoop(pool, CONCURRENCY, s, errors);

async function start(side: Side) {
  const port = await freePort();
  const child = spawnNode(resolve(side.dist, 'src/cli.js'), ['serve', '--config', config, '--port', String(port)]);
  await waitHealthy(`http://127.0.0.1:${port}`, child);
  return { side, child, pool: new Pool(`http://127.0.0.1:${port}`, { connections: CONCURRENCY, pipelining: 1 }) };
}

for (let p = 0; p < pairs; p++) {
  const order = p % 2 ? [sides.B, sides.A] : [sides.A, sides.B];
  const running = [await start(order[0]!), await start(order[1]!)];
  for (const r of running) await loop(r.pool, Math.min(2, seconds)); // warm-up (JIT)
  for (let round = 0; round < 2; round++) {
    for (const r of round % 2 ? [...running].reverse() : running) {
      const t0 = cpuTicks(r.child.pid!);
      const tp = await loop(r.pool, seconds);
      const ticks = cpuTicks(r.child.pid!) - t0;
      r.side.ticks += ticks;
      r.side.requests += tp.completed;
      r.side.seconds += tp.seconds;
      r.side.rounds.push(ticksToMicros(ticks) / tp.completed);
    }
  }
  for (const r of running) {
    await r.pool.destroy();
    await stopChild(r.child);
  }
}

const perRequest = (s: Side) => ticksToMicros(s.ticks) / s.requests;
for (const s of [sides.A, sides.B]) {
  const spread = `${Math.min(...s.rounds).toFixed(0)}-${Math.max(...s.rounds).toFixed(0)}`;
  console.log(
    `${s.name} (${s.dist}): ${perRequest(s).toFixed(1)} µs of CPU per ${EVENTS > 0 ? `${EVENTS}-event stream` : 'request'} (rounds ${spread}, median ${median(s.rounds).toFixed(0)}), ${(s.requests / s.seconds).toFixed(0)} ${EVENTS > 0 ? 'streams' : 'req'}/s`,
  );
}
console.log(
  `B / A: CPU ${(perRequest(sides.B) / perRequest(sides.A)).toFixed(3)}x, throughput ${(sides.B.requests / sides.B.seconds / (sides.A.requests / sides.A.seconds)).toFixed(3)}x over ${pairs} fresh process pairs; failed: ${errors.total}`,
);
await killAll();
process.exit(errors.total === 0 ? 0 : 1);

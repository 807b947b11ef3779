/**
 * How a fresh process warms up: one-event streams through a bare proxy and a gateway, each just
 * started (with its own streaming fake upstream), in batches of 1,000 in a closed loop at 64 in flight
 * (new client connections per batch), CPU per stream of the proxy process per batch, read off /proc.
 * The first batch is what the concurrent-streams phase's cold run pays: the gateway's JavaScript not
 * yet compiled by the optimising tier. One process pair per run, so read a few.
 *
 *   node dist/bench/warm-up.js [cli = dist/src/cli.js] [batches = 5]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { Errors, streamBody, streamOnce } from './load.js';
import { cpuTicks, killAll, ticksToMicros } from './proc.js';
import { withStreamingTarget } from './streams.js';

const [cliArg, batchesText = '5'] = process.argv.slice(2);
const cli = resolve(cliArg ?? fileURLToPath(new URL('../src/cli.js', import.meta.url)));
const BATCHES = Number(batchesText);
const BATCH = 1000;
const IN_FLIGHT = 64;
const BODY = streamBody(1, 0);

/** `count` one-event streams at IN_FLIGHT over new connections; CPU per stream of `pid` in µs. */
async function batch(origin: string, pid: number, count: number): Promise<number> {
  const pool = new Pool(origin, { connections: IN_FLIGHT, pipelining: 1 });
  const errors = new Errors();
  const t0 = cpuTicks(pid);
  let sent = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (sent < count) {
        sent += 1;
        await streamOnce(pool, BODY, errors);
      }
    }),
  );
  const us = ticksToMicros(cpuTicks(pid) - t0) / count;
  await pool.destroy();
  if (errors.total > 0) throw new Error(`streams not whole: ${errors.summary()}`);
  return us;
}

function measure(kind: 'bare' | 'gateway', tempDir: string): Promise<number[]> {
  return withStreamingTarget(kind, cli, tempDir, async (origin, pid) => {
    await batch(origin, pid, 50); // as the streams phase's warm-up
    const perBatch: number[] = [];
    for (let i = 0; i < BATCHES; i++) perBatch.push(await batch(origin, pid, BATCH));
    return perBatch;
  });
}

const tempDir = mkdtempSync(join(tmpdir(), 'switchyard-warm-up-'));
try {
  console.log(`warm-up: CPU per one-event stream of a just-started process, batches of ${BATCH} at ${IN_FLIGHT} in flight after 50; gateway ${cli}`);
  for (const kind of ['bare', 'gateway'] as const) {
    const perBatch = await measure(kind, tempDir);
    console.log(`  ${kind === 'bare' ? 'bare proxy' : 'gateway   '} µs per stream, batch by batch: ${perBatch.map((us) => us.toFixed(0)).join(', ')}`);
  }
} finally {
  await killAll();
  rmSync(tempDir, { recursive: true, force: true });
}

/**
 * What a new request costs while many streams are open: a gateway (and a bare proxy, for the floor)
 * takes a closed loop of short one-event streams at 16 in flight, first with nothing else open, then
 * with K long streams open (one event a second each); the CPU the long streams take on their own,
 * measured just before and just after the loop, is subtracted. A gateway whose cost per request grew
 * with the requests in flight would show it here (undici's Pool did: it walked every connection per
 * request). One process pair per run, so read a few runs.
 *
 *   node dist/bench/open-streams.js [K = 5000] [cli = dist/src/cli.js] [seconds per loop = 4]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { CHAT_PATH, Errors, HEADERS, streamBody, streamLoop } from './load.js';
import { cpuTicks, killAll, ticksToMicros } from './proc.js';
import { withStreamingTarget } from './streams.js';

const [kText = '5000', cliArg, secondsText = '4'] = process.argv.slice(2);
const K = Number(kText);
const SECONDS = Number(secondsText);
const cli = resolve(cliArg ?? fileURLToPath(new URL('../src/cli.js', import.meta.url)));
const IN_FLIGHT = 16;

const SHORT = streamBody(1, 0);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** CPU µs per ms of wall time that `pid` spends over `ms`. */
async function cpuRate(pid: number, ms: number): Promise<number> {
  const t0 = cpuTicks(pid);
  const w0 = performance.now();
  await sleep(ms);
  return ticksToMicros(cpuTicks(pid) - t0) / (performance.now() - w0);
}

/** Short streams at IN_FLIGHT for SECONDS; CPU per request of `pid` less `background` µs/ms. */
async function shortLoop(origin: string, pid: number, background: () => Promise<number>): Promise<{ usPerRequest: number; rps: number }> {
  const pool = new Pool(origin, { connections: IN_FLIGHT, pipelining: 1 });
  const errors = new Errors();
  const loop = async (ms: number): Promise<number> => (await streamLoop(pool, IN_FLIGHT, ms / 1000, SHORT, errors)).completed;
  await loop(1000);
  const before = await background();
  const t0 = cpuTicks(pid);
  const w0 = performance.now();
  const n = await loop(SECONDS * 1000);
  const wall = performance.now() - w0;
  const used = ticksToMicros(cpuTicks(pid) - t0);
  const after = await background();
  await pool.destroy();
  if (errors.total > 0) throw new Error(`short streams failed: ${errors.summary()}`);
  return { usPerRequest: (used - ((before + after) / 2) * wall) / n, rps: (n / wall) * 1000 };
}

/** Opens K long streams through `origin` and resolves once every one has its response headers. */
async function openLong(origin: string): Promise<Pool> {
  const pool = new Pool(origin, { connections: K, pipelining: 1, headersTimeout: 0, bodyTimeout: 0 });
  const long = streamBody(SECONDS * 3 + 30, 1000);
  let open = 0;
  const all: Promise<void>[] = [];
  for (let i = 0; i < K; i++) {
    all.push(
      pool.request({ path: CHAT_PATH, method: 'POST', headers: HEADERS, body: long }).then(
        (res) => {
          open += 1;
          res.body.on('error', () => undefined).resume();
        },
        () => undefined,
      ),
    );
    if (i % 250 === 249) await sleep(100); // a ramp, not a burst: this measures holding streams, not opening them
  }
  await Promise.all(all);
  if (open < K) throw new Error(`only ${open} of ${K} long streams opened`);
  return pool;
}

function measure(kind: 'bare proxy' | 'gateway', tempDir: string): Promise<string> {
  return withStreamingTarget(kind === 'bare proxy' ? 'bare' : 'gateway', cli, tempDir, async (origin, pid) => {
    const none = await shortLoop(origin, pid, () => cpuRate(pid, 1000));
    const long = await openLong(origin);
    await sleep(1000);
    const many = await shortLoop(origin, pid, () => cpuRate(pid, 2000));
    await long.destroy();
    const f = (x: { usPerRequest: number; rps: number }) => `${x.usPerRequest.toFixed(1)} µs (${x.rps.toFixed(0)} req/s)`;
    return `${kind.padEnd(10)} CPU per short request: none open ${f(none)}; ${K} open ${f(many)}: ${(many.usPerRequest / none.usPerRequest).toFixed(2)}x`;
  });
}

const tempDir = mkdtempSync(join(tmpdir(), 'switchyard-open-streams-'));
try {
  console.log(`open streams: ${K} long streams held open, short one-event streams at ${IN_FLIGHT} in flight, ${SECONDS} s per loop; gateway ${cli}`);
  for (const kind of ['bare proxy', 'gateway'] as const) console.log(await measure(kind, tempDir));
} finally {
  await killAll();
  rmSync(tempDir, { recursive: true, force: true });
}

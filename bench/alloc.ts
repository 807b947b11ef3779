/**
 * Bytes allocated per request by the gateway: sequential chat requests against a gateway whose process
 * samples every allocation with V8's heap profiler (bench/alloc-child.ts), short-lived objects
 * included. Unlike CPU time on a shared machine, this figure repeats to within 1% from run to run, so
 * it shows what a hot-path change adds or removes.
 *
 *   node dist/bench/alloc.js [requests = 10000]
 *   ALLOC_TOP=25 node dist/bench/alloc.js       (also the 25 functions that allocate the most, per request)
 *   ALLOC_STREAM=1 node dist/bench/alloc.js     (streaming chat requests, each read to its [DONE], instead)
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { Errors, firstChunk, sequential } from './load.js';
import { forkReady, killAll } from './proc.js';

const count = Number(process.argv[2] ?? '10000');
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

function reply(child: ChildProcess, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if ((m as { type?: unknown } | null)?.type !== type) return;
      child.off('message', on);
      resolve(m as Record<string, unknown>);
    };
    child.on('message', on);
  });
}

const upstream = await forkReady(here('./upstream.js'), ['0']);
const gateway = await forkReady(here('./alloc-child.js'), [String(upstream.port)]);
const client = new Client(`http://127.0.0.1:${gateway.port}`);
const errors = new Errors();
const streams = process.env.ALLOC_STREAM === '1';
const run = (n: number): Promise<number[]> => (streams ? firstChunk(client, n, errors) : sequential(client, n, errors));
await run(3000); // warm-up (JIT)
gateway.child.send('start');
await reply(gateway.child, 'started');
await run(count);
gateway.child.send('stop');
const { bytes, top } = await reply(gateway.child, 'bytes');
console.log(`allocated per request: ${(Number(bytes) / count / 1024).toFixed(1)} KB over ${count} sequential ${streams ? 'streaming ' : ''}chat requests; failed: ${errors.total}`);
for (const [siteBytes, site] of top as Array<[number, string]>) console.log(`${(siteBytes / count).toFixed(0).padStart(7)} B  ${site}`);
await client.close();
await killAll();
process.exit(errors.total === 0 ? 0 : 1);

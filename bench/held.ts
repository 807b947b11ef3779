/**
 * Bytes held per open stream (JavaScript heap and buffers, after full collections), with a short and
 * a long prompt: a gateway in this process in front of the streaming fake upstream, `N` streams opened
 * and held at their first event. The difference between the two is what a stream keeps of its request.
 *
 *   node dist/bench/held.js [streams = 200] [prompt bytes = 40000]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client } from 'undici';
import { parseConfig } from '../src/config/load.js';
import { startGateway } from '../src/server.js';
import { createLogger } from '../src/telemetry/logger.js';
import { forkReady, killAll } from './proc.js';

const streams = Number(process.argv[2] ?? '200');
const promptBytes = Number(process.argv[3] ?? '40000');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function held(): number {
  gc();
  gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

const upstream = await forkReady(new URL('./stream-upstream.js', import.meta.url).pathname, ['0']);
const loaded = parseConfig(
  `server: { host: 127.0.0.1 }\nproviders:\n  - { name: bench, type: openai_compatible, base_url: "http://127.0.0.1:${upstream.port}/v1", api_key: sk-bench }\nlogging: { level: silent }\n`,
);
const gateway = await startGateway(loaded, { port: 0, host: '127.0.0.1', watch: false, logger: createLogger('silent') });

/** Opens `streams` streams (three events 4 s apart: held open at the first), measures, then reads them out. */
async function heldPerStream(prompt: number): Promise<number> {
  // One body for every request: the clients hold one copy between them.
  const body = Buffer.from(JSON.stringify({ model: 'gpt-4o-mini', stream: true, bench_chunks: 3, bench_gap_ms: 4000, messages: [{ role: 'user', content: 'x'.repeat(prompt) }] }));
  const before = held();
  const clients = Array.from({ length: streams }, () => new Client(`http://127.0.0.1:${gateway.port}`));
  const open = await Promise.all(
    clients.map(async (c) => {
      const res = await c.request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json' }, body });
      await new Promise((resolve) => res.body.once('data', resolve));
      return res.body;
    }),
  );
  const perStream = (held() - before) / streams;
  for (const b of open) b.resume();
  await Promise.all(open.map((b) => new Promise((resolve) => b.once('end', resolve))));
  await Promise.all(clients.map((c) => c.close()));
  return perStream;
}

await heldPerStream(100); // the first streams compile the path and fill the pools
const short = await heldPerStream(100);
const long = await heldPerStream(promptBytes);
console.log(`held per open stream (heap and buffers, ${streams} open): ${(short / 1024).toFixed(1)} kB with a short prompt, ${(long / 1024).toFixed(1)} kB with a ${promptBytes}-byte one`);
await gateway.close();
await killAll();

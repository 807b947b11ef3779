/**
 * A/B: two builds of the gateway side by side (each its own process, one config, one fake upstream),
 * CPU per request read off /proc over interleaved rounds of sequential requests, so that the machine's
 * drift falls on both alike. For "measure before and after" on a hot-path change:
 *
 *   git stash && npm run build && cp -r dist /tmp/before && git stash pop && npm run build
 *   node dist/bench/ab.js /tmp/before dist            (noise between two identical builds: about 3%)
 *
 * argv: build A's dist folder, build B's, [rounds = 6], [requests per round = 3000].
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'undici';
import { Errors, sequential } from './load.js';
import { cpuTicks, forkReady, freePort, killAll, spawnNode, ticksToMicros, waitHealthy } from './proc.js';

const [distA, distB, roundsText = '6', countText = '3000'] = process.argv.slice(2);
if (!distA || !distB) {
  console.error('usage: node dist/bench/ab.js <dist A> <dist B> [rounds] [requests per round]');
  process.exit(2);
}
const rounds = Number(roundsText);
const count = Number(countText);

const upstream = await forkReady(fileURLToPath(new URL('./upstream.js', import.meta.url)), ['0']);
const config = join(tmpdir(), `switchyard-ab-${process.pid}.yaml`);
writeFileSync(
  config,
  `server: { host: 127.0.0.1 }\nproviders:\n  - { name: bench, type: openai_compatible, base_url: "http://127.0.0.1:${upstream.port}/v1", api_key: sk-bench }\nlogging: { level: info }\n`,
);

const targets = [];
for (const [name, dist] of [
  ['A', distA],
  ['B', distB],
] as const) {
  const port = await freePort();
  const child = spawnNode(resolve(dist, 'src/cli.js'), ['serve', '--config', config, '--port', String(port)]);
  const origin = `http://127.0.0.1:${port}`;
  await waitHealthy(origin, child);
  targets.push({ name, dist, pid: child.pid!, client: new Client(origin), ticks: 0 });
}
const errors = new Errors();
for (const t of targets) await sequential(t.client, count, errors); // warm-up (JIT)
for (let r = 0; r < rounds; r++) {
  for (const t of r % 2 ? [...targets].reverse() : targets) {
    const t0 = cpuTicks(t.pid);
    await sequential(t.client, count, errors);
    t.ticks += cpuTicks(t.pid) - t0;
  }
}
const perRequest = targets.map((t) => ticksToMicros(t.ticks) / (rounds * count));
for (const [i, t] of targets.entries()) console.log(`${t.name} (${t.dist}): ${perRequest[i]!.toFixed(1)} µs of CPU per request`);
console.log(`B / A: ${(perRequest[1]! / perRequest[0]!).toFixed(3)}x over ${rounds} interleaved rounds of ${count} sequential requests; failed: ${errors.total}`);
await Promise.all(targets.map((t) => t.client.close()));
await killAll();
process.exit(errors.total === 0 ? 0 : 1);

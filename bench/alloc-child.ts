/**
 * Bench child for bench/alloc.ts: a gateway in this process (one provider at the fake upstream on
 * argv[2]) and V8's sampling heap profiler, driven over IPC: `start` begins sampling every allocation
 * (objects already collected included), `stop` answers `{ type: 'bytes', bytes, top }`, the bytes sampled since and
 * the ALLOC_TOP functions that allocated the most of them.
 */
import { Session } from 'node:inspector/promises';
import { parseConfig } from '../src/config/load.js';
import { startGateway } from '../src/server.js';
import { createLogger } from '../src/telemetry/logger.js';

interface SampledNode {
  selfSize: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children: SampledNode[];
}

const total = (n: SampledNode): number => n.children.reduce((sum, c) => sum + total(c), n.selfSize);

/** The `n` functions that allocated the most (their own allocations), as `[bytes, where]`. */
function topSites(head: SampledNode, n: number): Array<[number, string]> {
  const bySite = new Map<string, number>();
  const walk = (node: SampledNode): void => {
    const f = node.callFrame;
    const site = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
    for (const c of node.children) walk(c);
  };
  walk(head);
  return [...bySite]
    .map(([site, bytes]): [number, string] => [bytes, site])
    .sort((a, b) => b[0] - a[0])
    .slice(0, n);
}

const upstreamPort = Number(process.argv[2]);
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
const loaded = parseConfig(
  `server: { host: 127.0.0.1 }\nproviders:\n  - { name: bench, type: openai_compatible, base_url: "http://127.0.0.1:${upstreamPort}/v1", api_key: sk-bench }\nlogging: { level: info }\n`,
);
// Request logs are written (to /dev/null when the parent ignores stdout), as in the bench's rounds.
const gateway = await startGateway(loaded, { port: 0, host: '127.0.0.1', watch: false, logger: createLogger('info') });

process.on('message', (m: unknown) => {
  void (async () => {
    if (m === 'start') {
      await session.post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
      process.send?.({ type: 'started' });
    } else if (m === 'stop') {
      const { profile } = await session.post('HeapProfiler.stopSampling');
      const head = profile.head as SampledNode;
      process.send?.({ type: 'bytes', bytes: total(head), top: topSites(head, Number(process.env.ALLOC_TOP ?? '0')) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', port: gateway.port });

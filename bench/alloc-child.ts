/**
 * Bench child for bench/alloc.ts: a gateway in this process (one provider at the fake upstream on
 * argv[2]) and V8's sampling heap profiler, driven over IPC: `start` begins sampling every allocation
 * (objects already collected included), `stop` answers `{ type: 'bytes', bytes }`, the bytes sampled since.
 */
import { Session } from 'node:inspector/promises';
import { parseConfig } from '../src/config/load.js';
import { startGateway } from '../src/server.js';
import { createLogger } from '../src/telemetry/logger.js';

interface SampledNode {
  selfSize: number;
  children: SampledNode[];
}

const total = (n: SampledNode): number => n.children.reduce((sum, c) => sum + total(c), n.selfSize);

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
      process.send?.({ type: 'bytes', bytes: total(profile.head as SampledNode) });
    }
  })();
});
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready', port: gateway.port });

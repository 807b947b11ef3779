/**
 * Bench child: the fake upstream in its own process, so its CPU does not count against the targets.
 * argv[2]: port (0 = any). Reports `{ type: 'ready', port }` over IPC; exits when the parent goes away.
 */
import { FakeUpstream } from '../test/support/fake-upstream.js';

const port = Number(process.argv[2] ?? '0');
const fake = await FakeUpstream.start('bench', port);

// FakeUpstream records every request for tests; a bench sends hundreds of thousands, so drop them.
setInterval(() => {
  fake.requests.length = 0;
}, 500).unref();

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send?.({ type: 'ready', port: fake.port });

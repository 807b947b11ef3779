/**
 * Bench child for the surfaces phase: an OpenAI-style fake (chat, Responses, embeddings) and an
 * Anthropic-style fake (Messages) in one process. Reports `{ type: 'ready', port, anthropicPort }`.
 */
import { FakeAnthropic } from '../test/support/fake-anthropic.js';
import { FakeUpstream } from '../test/support/fake-upstream.js';

const openai = await FakeUpstream.start('bench');
const anthropic = await FakeAnthropic.start('bench-claude');

// The fakes record every request for tests; a bench sends thousands, so drop them.
setInterval(() => {
  openai.requests.length = 0;
  anthropic.requests.length = 0;
  openai.responses.clear();
}, 500).unref();

process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.send?.({ type: 'ready', port: openai.port, anthropicPort: Number(new URL(anthropic.url).port) });

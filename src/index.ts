/**
 * The package root: `import type { ... } from 'switchyard'`.
 *
 * For now it exports types only: what a custom strategy is written against, and the shape of a loaded
 * config. A custom strategy is a module whose default export (or `order` export) orders the candidates
 * from an in-process snapshot; name its file in `routing.strategy` (or a route's `strategy`):
 *
 * ```ts
 * // cheapest-healthy.ts, compiled to cheapest-healthy.js; config: `routing: { strategy: ./cheapest-healthy.js }`
 * import type { Candidate, Strategy } from 'switchyard';
 *
 * const cheapestHealthy: Strategy = ({ candidates, snapshot }) => {
 *   const cost = (c: Candidate) => snapshot.price(c.provider, c.model)?.output ?? Number.POSITIVE_INFINITY;
 *   const closed = (c: Candidate) => (snapshot.providers.get(c.provider)?.state === 'closed' ? 0 : 1);
 *   // Return every candidate once, reordered: never drop or invent one.
 *   return [...candidates].sort((a, b) => closed(a) - closed(b) || cost(a) - cost(b) || a.chainIndex - b.chainIndex);
 * };
 * export default cheapestHealthy;
 * ```
 */

export type {
  /** A provider's `capabilities`: what its models accept (vision, tools, JSON mode) and their context window. */
  Capabilities,
  /** A validated config file (`config.yaml`), with every default applied. */
  Config,
  /** One entry of `providers` in a validated config. */
  ProviderConfig,
  /** A provider's `tls` settings for its upstream connections (CA, client certificate, server name). */
  UpstreamTlsConfig,
} from './config/schema.js';
export type {
  /** A provider's breaker changed state. */
  BreakerEvent,
  /** A request left a failed provider for the next (`to` absent: none was left). */
  FailoverEvent,
  /** An attempt failed, or a served stream broke. */
  FailureEvent,
  /** Every event by name. */
  GatewayEventMap,
  /** An event's name. */
  GatewayEventName,
  /** The provider a request went to first, and the strategy that chose it. */
  RouteEvent,
  /** A request was answered, with latency, usage and cost. */
  SuccessEvent,
} from './core/events.js';
/**
 * A multi-turn chat from `switchyard.conversation(...)`: `send`, `history`, `add`, `clear`.
 *
 * @example
 * const chat = switchyard.conversation({ model: 'gpt-4o-mini', system: 'You are terse.', temperature: 0 });
 * const reply = await chat.send('What is a switchyard?');
 * console.log(reply.content, reply.routing.provider);
 * chat.add({ role: 'tool', tool_call_id: 'call_1', content: '{"ok":true}' });
 * chat.clear(); // back to the system message
 */
export { type ChatFn, type ChatMessage, Conversation, type ConversationOptions, type ConversationReply } from './library/conversation.js';
/**
 * A call that could not be served: `status`, `code`, `type`, `message` as the HTTP gateway answers, and `tried`.
 *
 * @example
 * try { await switchyard.chat(request); } catch (e) { if (e instanceof SwitchyardError && e.status === 429) retryLater(); }
 */
export { SwitchyardError } from './library/errors.js';

/**
 * switchyard in process (no HTTP server): `chat`, `stream`, `conversation`, events, `status`, `close`.
 *
 * @example
 * import { Switchyard } from 'switchyard';
 * const switchyard = await Switchyard.create({ config: './config.yaml' });
 * switchyard.on('failover', (e) => console.log(`${e.from} -> ${e.to}: ${e.reason}`));
 * const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
 */
export { type ChatStream, Switchyard, type SwitchyardOptions } from './library/switchyard.js';
export type {
  /** A call's routing wishes: `strategy`, `provider` (pin), `session`, `fallback`, `signal`, `timeoutMs`. */
  CallOptions,
  /** OpenAI's `chat.completion` object. */
  ChatCompletion,
  /** One OpenAI `chat.completion.chunk`. */
  ChatCompletionChunk,
  /** A chat request in OpenAI's shape. */
  ChatRequest,
  /** One provider in `status()`: breaker state, requests, failures, latency percentiles. */
  ProviderStatus,
  /** Who served a call: provider, model, attempts, fallback, latency, cost, what was tried. */
  RoutingInfo,
  /** `stream` options: the call's, plus `onChunk`. */
  StreamOptions,
} from './library/types.js';
/** Bring your own client: an `openai` or `@anthropic-ai/sdk` client as a provider (`SwitchyardOptions.clients`). */
export type { AnthropicMessagesClient, ClientProvider, ClientRouting, OpenAIChatClient, SdkClient, SdkRequestOptions } from './providers/sdk-clients/types.js';
/** What `tried` holds: one candidate considered, and what came of it. */
export type { AttemptRecord } from './routing/attempt-loop.js';
export type {
  /** A circuit breaker's state as reported by `/health` and seen by strategies: `closed`, `open` or `half_open`. */
  CircuitState,
} from './routing/circuit-breaker.js';
/** The composite `score` strategy with your own weights per lane, for a custom strategy file. */
export { DEFAULT_SCORE_WEIGHTS, type ScoreWeights, scoreStrategy } from './routing/score.js';
export type {
  /** One way to serve a request: a provider, the upstream model, the provider's position in the chain. */
  Candidate,
  /** A request's priority lane: `high`, `normal` or `low`. */
  Lane,
  /** A model's price in USD per million input and output tokens. */
  Price,
  /** One provider in the snapshot: breaker state, recent counts, latency medians, weight, rate-limit headroom. */
  ProviderView,
  /** The in-process picture a strategy decides from (providers, prices, clock, randomness); never read from Redis. */
  RoutingSnapshot,
  /** A strategy: a pure function that orders the candidates of one request (no I/O, no clock but the snapshot's). */
  Strategy,
  /** What a strategy receives: the candidates, a summary of the request and the routing snapshot. */
  StrategyInput,
  /** The request as a strategy sees it: model, stream flag, estimated prompt tokens, `max_tokens`. */
  StrategyRequest,
} from './routing/strategy.js';

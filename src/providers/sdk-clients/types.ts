/**
 * Bring your own client: an instance of the official `openai` (6.x) or `@anthropic-ai/sdk` client as a
 * provider of the library. These types describe only what switchyard calls on a client, so that
 * switchyard's own types do not depend on either package (both are optional: nothing is loaded from them).
 */
import type { Capabilities } from '../../config/schema.js';

/**
 * What switchyard passes with every request it makes through a client (the SDKs' own request options).
 *
 * @example
 * const options: SdkRequestOptions = { signal: AbortSignal.timeout(30_000), headers: { 'x-request-id': 'req_1' } };
 * await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [] }, options);
 */
export interface SdkRequestOptions {
  /** Aborted when the call is (the caller's signal, its timeout, or the attempt's timeout). */
  signal: AbortSignal;
  /** `x-request-id`: the request id switchyard's events carry. */
  headers: Record<string, string>;
}

/**
 * The part of an `openai` client switchyard uses: `chat.completions.create`. Any `new OpenAI({...})` fits.
 *
 * @example
 * import OpenAI from 'openai';
 * const client: OpenAIChatClient = new OpenAI({ apiKey: process.env.OPENAI_API_KEY, maxRetries: 0 });
 */
export interface OpenAIChatClient {
  readonly baseURL: string;
  /** Read only to remove the key from error text. */
  readonly apiKey?: unknown;
  readonly chat: {
    readonly completions: {
      create(body: { model: string; messages: readonly unknown[]; stream?: boolean | null }, options: SdkRequestOptions): PromiseLike<unknown>;
    };
  };
}

/**
 * The part of an `@anthropic-ai/sdk` client switchyard uses: `messages.create`. Any `new Anthropic({...})` fits.
 *
 * @example
 * import Anthropic from '@anthropic-ai/sdk';
 * const client: AnthropicMessagesClient = new Anthropic({ apiKey: process.env.ANTHROPIC_API_KEY });
 */
export interface AnthropicMessagesClient {
  readonly baseURL: string;
  /** Read only to remove the key (or token) from error text. */
  readonly apiKey?: unknown;
  readonly authToken?: unknown;
  readonly messages: {
    create(body: { model: string; max_tokens: number; messages: readonly unknown[]; stream?: boolean }, options: SdkRequestOptions): PromiseLike<unknown>;
  };
}

/**
 * A client switchyard can route to (told apart at run time by `chat.completions.create` or `messages.create`).
 *
 * @example
 * const client: SdkClient = process.env.USE_CLAUDE ? new Anthropic() : new OpenAI();
 */
export type SdkClient = OpenAIChatClient | AnthropicMessagesClient;

/**
 * The routing fields of a config provider that a client provider takes too (same names, same meaning,
 * same checks: see the README's configuration section).
 *
 * @example
 * const routing: ClientRouting = { models: ['gpt-4o-mini'], pricing: { 'gpt-4o-mini': { input: 0.15, output: 0.6 } }, timeout_ms: 20_000 };
 */
export interface ClientRouting {
  /** The models it serves (default: any model asked for). */
  models?: string[];
  /** Sent when it does not serve the requested model. */
  default_model?: string;
  /** USD per 1M tokens, per model: cost accounting and the `cost` strategy. */
  pricing?: Record<string, { input: number; output: number }>;
  /** Longest wait for an answer (a stream: its first chunk, then between chunks); default 30000. */
  timeout_ms?: number;
  /** Share of traffic under the `weighted` strategy (default 1). */
  weight?: number;
  /** Most requests in flight through it at once. */
  max_connections?: number;
  /** Its limits, for the `headroom` strategy. */
  rpm_limit?: number;
  tpm_limit?: number;
  /** What its models can take; requests that need more skip it. */
  capabilities?: Capabilities;
  model_capabilities?: Record<string, Capabilities>;
}

/**
 * One provider given as a client, configured your way (base URL, fetch, proxy, retries, key). It is
 * routed exactly like a config provider: strategies, breakers, failover, aliases, accounting, events.
 *
 * @example
 * import OpenAI from 'openai';
 * import Anthropic from '@anthropic-ai/sdk';
 * const clients: ClientProvider[] = [
 *   { name: 'openai', client: new OpenAI({ apiKey, baseURL }), models: ['gpt-4o-mini'], priority: 1 },
 *   { name: 'claude', client: new Anthropic({ apiKey: anthropicKey }), default_model: 'claude-sonnet-4-5' },
 * ];
 * const switchyard = await Switchyard.create({ config: { providers: [] }, clients });
 */
export interface ClientProvider extends ClientRouting {
  /** Unique among all providers; names it in events, `status()`, aliases (`models`) and `routing.fallback_chain`. */
  name: string;
  client: SdkClient;
  /**
   * Its place in the chain (the `priority` strategy's order, every other strategy's tie-break): clients
   * with a priority go first, lowest first; then the config's chain; then clients without one, in order.
   */
  priority?: number;
}

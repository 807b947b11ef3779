/**
 * Client providers into the gateway: each becomes a config provider entry (so the config's checks,
 * chain, aliases, prices and capabilities apply to it as to any other) whose adapter is one that calls
 * the client. Loaded by the library only when it is given clients.
 */
import type { ProviderConfig } from '../../config/schema.js';
import { isObject } from '../translating/guards.js';
import type { ProviderAdapter } from '../types.js';
import { AnthropicClientAdapter } from './anthropic-client.js';
import { OpenAIClientAdapter } from './openai-client.js';
import type { AnthropicMessagesClient, ClientProvider, ClientRouting, OpenAIChatClient } from './types.js';

/** Builds the adapter of one provider once its config entry has been checked. */
export type AdapterFactory = (config: ProviderConfig) => ProviderAdapter;

/**
 * What the gateway needs to serve a set of clients.
 *
 * @example
 * const byoc = clientProviders([{ name: 'openai', client: new OpenAI({ apiKey }) }]);
 * const loaded = parseConfig(text, '(object)', { amend: byoc.amend });
 * const gateway = await Gateway.create(loaded, { logger, adapters: byoc.adapters });
 */
export interface ClientProviders {
  /** Adds the clients' provider entries (and their `priority` order) to a config tree before it is checked. */
  amend(tree: Record<string, unknown>): void;
  /** Per client provider's name: its adapter. */
  adapters: ReadonlyMap<string, AdapterFactory>;
}

const ROUTING_FIELDS = [
  'models',
  'default_model',
  'pricing',
  'timeout_ms',
  'weight',
  'max_connections',
  'rpm_limit',
  'tpm_limit',
  'capabilities',
  'model_capabilities',
] as const satisfies ReadonlyArray<keyof ClientRouting>;

/**
 * Checks each client (an `openai` or an `@anthropic-ai/sdk` client, told apart by what it has) and
 * turns the list into config entries and adapters. Throws a TypeError for anything else.
 *
 * @example
 * clientProviders([{ name: 'x', client: {} as never }]); // TypeError: clients[0] ("x"): ...
 */
export function clientProviders(clients: readonly ClientProvider[]): ClientProviders {
  const adapters = new Map<string, AdapterFactory>();
  const entries = clients.map((c, i) => {
    const openai = isOpenAIClient(c.client);
    if (!openai && !isAnthropicClient(c.client)) {
      throw new TypeError(`clients[${i}] ("${c.name}"): client must be an openai client (chat.completions.create) or an @anthropic-ai/sdk client (messages.create)`);
    }
    const client = c.client;
    adapters.set(c.name, (config) => (isOpenAIClient(client) ? new OpenAIClientAdapter(config, client) : new AnthropicClientAdapter(config, client)));
    const entry: Record<string, unknown> = { name: c.name, type: openai ? 'openai_compatible' : 'anthropic', base_url: httpUrl(c.client.baseURL) };
    for (const field of ROUTING_FIELDS) if (c[field] !== undefined) entry[field] = c[field];
    return entry;
  });
  return {
    adapters,
    amend(tree) {
      const configured = Array.isArray(tree.providers) ? (tree.providers as unknown[]) : [];
      tree.providers = [...configured, ...entries];
      if (!clients.some((c) => c.priority !== undefined)) return;
      const routing = isObject(tree.routing) ? tree.routing : (tree.routing = {});
      const chain = Array.isArray(routing.fallback_chain) ? routing.fallback_chain.filter((n): n is string => typeof n === 'string') : [];
      const names = configured.flatMap((p) => (isObject(p) && typeof p.name === 'string' && !chain.includes(p.name) ? [p.name] : []));
      const ranked = clients.filter((c) => c.priority !== undefined).sort((a, b) => (a.priority ?? 0) - (b.priority ?? 0));
      const rest = clients.filter((c) => c.priority === undefined);
      routing.fallback_chain = [...ranked.map((c) => c.name), ...chain, ...names, ...rest.map((c) => c.name)];
    },
  };
}

const isOpenAIClient = (client: unknown): client is OpenAIChatClient => hasMethod(client, ['chat', 'completions', 'create']);
const isAnthropicClient = (client: unknown): client is AnthropicMessagesClient => hasMethod(client, ['messages', 'create']);

/** Whether `value.a.b...` is a function (duck typing: nothing is imported from the SDKs). */
function hasMethod(value: unknown, path: readonly string[]): boolean {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) return false;
    at = Reflect.get(at, key);
  }
  return typeof at === 'function';
}

/** The client's base URL when it is an http(s) URL (it shows in the config), else a placeholder. */
function httpUrl(baseURL: unknown): string {
  try {
    const url = new URL(String(baseURL));
    if (url.protocol === 'http:' || url.protocol === 'https:') return url.href;
  } catch {
    // not a URL: the placeholder below
  }
  return 'http://client.invalid/';
}

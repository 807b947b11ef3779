import type { CallerKeys } from '../providers/caller-keys.js';
import type { Endpoint, NativeProtocol } from '../providers/types.js';
import type { Cancel } from '../routing/cancel.js';
import type { KeyPolicy } from './client-keys.js';

/** A validated request in the pivot format (OpenAI chat or completions), as every front door hands it to the core. */
export interface CoreRequest {
  endpoint: Endpoint;
  /** The validated body, unknown fields included. */
  body: Record<string, unknown>;
  /** The caller's bytes when they are the body as is: sent upstream without serialising again. */
  raw?: Buffer;
  model: string;
  stream: boolean;
  /**
   * The caller's request in its own protocol, when a provider may speak it natively: such a provider
   * gets these bytes untouched (only the model may change) and answers in that protocol; every other
   * provider gets the pivot (`body`).
   */
  native?: NativeRequest;
}

export interface NativeRequest {
  protocol: NativeProtocol;
  body: Record<string, unknown>;
  raw: Buffer;
  /** Protocol headers to pass on (e.g. `anthropic-version`, `anthropic-beta`). */
  headers: Record<string, string>;
}

/** How the caller wants this one request routed, and who it is. */
export interface RouteOptions {
  requestId: string;
  /** Who is asking, for rate limits and idempotency scopes: a key's name or digest, or an address. */
  client: string;
  /** The caller's client key policy (its name, allowed models, limits, budget), when it presented one. */
  key?: KeyPolicy;
  /** A strategy by name, over the route's. */
  strategy?: string;
  /** A mode by name (`modes`), over the active one. */
  mode?: string;
  /** A provider to try first (alone when `fallback` is false). */
  provider?: string;
  fallback?: boolean;
  /** A conversation id: its next turns go to the provider that served it while that one is healthy. */
  session?: string;
  /** `x-switchyard-priority` as sent: `high`, `normal` (the default) or `low`; checked when planned. */
  priority?: string;
  /** `x-switchyard-prefer`: providers to move to the front of the strategy's order, in this order. */
  prefer?: string[];
  /** The caller's own vendor keys, for providers with `client_keys` (never logged or stored). */
  callerKeys?: CallerKeys;
  /** `x-switchyard-hedge` as the caller sent it (`off`, `p95` or a delay in ms), over the route's hedging. */
  hedge?: string;
  /** Served once per client and key: repeats get the stored answer. */
  idempotencyKey?: string;
  /** `Last-Event-ID` of a client resuming a stream (with its Idempotency-Key): only the events after it are replayed. */
  lastEventId?: string;
  /** Aborted when the caller goes away: attempts stop, nothing more is sent upstream. */
  signal: Cancel;
}

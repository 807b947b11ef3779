import type { AttemptRecord } from '../routing/attempt-loop.js';
import type { CircuitState } from '../routing/circuit-breaker.js';

/** A chat request in OpenAI's shape: `model` and `messages`, any other field passed on as given. */
export interface ChatRequest {
  model: string;
  messages: ReadonlyArray<Record<string, unknown>>;
  [field: string]: unknown;
}

/** OpenAI's `chat.completion` object, as the provider answered it (translated to OpenAI's shape when needed). */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: { role: 'assistant'; content: string | null; tool_calls?: unknown[]; [field: string]: unknown };
    finish_reason: string | null;
    [field: string]: unknown;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; [field: string]: unknown };
  [field: string]: unknown;
}

/** One OpenAI `chat.completion.chunk` of a stream. */
export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: { role?: string; content?: string | null; tool_calls?: unknown[]; [field: string]: unknown };
    finish_reason: string | null;
    [field: string]: unknown;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number; [field: string]: unknown } | null;
  [field: string]: unknown;
}

/** Who served a call, and how it got there. */
export interface RoutingInfo {
  provider: string;
  /** The model asked of the provider. */
  model: string;
  /** Upstream attempts made. */
  attempts: number;
  /** Whether anything but the first candidate (provider and model) served. */
  fallback: boolean;
  /** From the call to the whole answer (a stream: to its end). */
  latencyMs: number;
  /** From the configured prices and the answer's usage; 0 when either is missing. */
  costUsd: number;
  /** Every candidate considered, in order, with what came of it. */
  tried: AttemptRecord[];
}

/** How one call is routed. */
export interface CallOptions {
  /** A strategy by name, over the config's. */
  strategy?: string;
  /** A mode by name (the config's `modes`), over the active one. */
  mode?: string;
  /** A provider to try first (alone with `fallback: false`). */
  provider?: string;
  /** A conversation id: its next turns go to the provider that served it while that one is healthy. */
  session?: string;
  /** `false` with `provider`: only the pinned provider is tried. */
  fallback?: boolean;
  /** The priority lane (as `x-switchyard-priority`): `high`, `normal` (default) or `low`. */
  priority?: 'high' | 'normal' | 'low';
  /** Providers to move to the front of the strategy's order, in this order (as `x-switchyard-prefer`). */
  prefer?: readonly string[];
  /**
   * The caller's own vendor key for providers with `client_keys` (one for all of them, or one per
   * provider name); sent to no other provider, never logged or stored.
   */
  providerKey?: string | Readonly<Record<string, string>>;
  /** Hedging for this call, over the route's: `off`, `p95`, or a delay in ms (README "Hedged requests"). */
  hedge?: 'off' | 'p95' | number;
  /** Aborts the call: attempts stop, a stream is closed. */
  signal?: AbortSignal;
  /** Gives up after this long (a stream: until its end). */
  timeoutMs?: number;
}

/** `stream` options: the call's, and a callback per chunk. */
export interface StreamOptions extends CallOptions {
  onChunk?: (chunk: ChatCompletionChunk) => void;
}

/** One provider as `status()` reports it. */
export interface ProviderStatus {
  breaker: CircuitState;
  requests: number;
  failures: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
}

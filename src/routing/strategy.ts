import type { CircuitState } from './circuit-breaker.js';

/** One way to serve a request: a provider and the model to ask it for. */
export interface Candidate {
  provider: string;
  /** Model name sent upstream. */
  model: string;
  /** Position of the provider in the configured chain (0 = first). */
  chainIndex: number;
}

/** USD per million tokens. */
export interface Price {
  input: number;
  output: number;
}

/** What one provider looks like right now, from this instance's (or the shared) in-process picture. */
export interface ProviderView {
  state: CircuitState;
  /** Attempts, successes and failures over the recent window (5 minutes). */
  requests: number;
  successes: number;
  failures: number;
  /** Recent median latency in ms (JSON answers: whole answer; streams: first chunk); undefined until measured. */
  latencyP50Ms?: number;
  /** Recent median time to first chunk of streams in ms; undefined until measured. */
  ttftP50Ms?: number;
  /** Recent p95 latency (whole answers) and time to first chunk (streams) in ms; undefined until measured. */
  latencyP95Ms?: number;
  ttftP95Ms?: number;
  /** `weight` from config (default 1). */
  weight: number;
  /**
   * Fraction (0..1) of the provider's request and token budget left in the current minute, from its
   * `rpm_limit` / `tpm_limit` and its own `x-ratelimit-remaining-*` headers; undefined when unknown.
   */
  requestHeadroom?: number;
  tokenHeadroom?: number;
  /**
   * Seconds until the provider's minute budget (requests or tokens) runs out at the pace of the last
   * 10 seconds, present only when it runs out before the budget resets (0: out now); see `routing/quota.ts`.
   */
  exhaustsInS?: number;
  /** The provider's public status page indicator, when one is configured and has been read. */
  statusPage?: 'none' | 'minor' | 'major' | 'critical' | 'maintenance' | 'unknown';
}

/** The in-process picture a strategy decides from. Never read from Redis on the request path. */
export interface RoutingSnapshot {
  now: number;
  providers: ReadonlyMap<string, ProviderView>;
  /** Configured (or operator-updated) price of a provider's model; undefined when unknown. */
  price(provider: string, model: string): Price | undefined;
  /** A number in [0, 1): the strategy's only source of chance, injected so that tests are exact. */
  random(): number;
}

export interface StrategyRequest {
  /** The model the client asked for. */
  model: string;
  stream: boolean;
  /** Rough prompt size (characters / 4). */
  estimatedPromptTokens: number;
  /** `max_completion_tokens` or `max_tokens` when the client set one. */
  maxTokens?: number;
  /** The request's priority lane (`x-switchyard-priority`); absent means `normal`. */
  lane?: Lane;
  /** The route's latency objective (`routing.routes.<model>.slo_ms`), for the `slo` strategy. */
  sloMs?: number;
}

/** A request's priority lane (`x-switchyard-priority`, the library's `priority`); see `routing/lanes.ts`. */
export type Lane = 'high' | 'normal' | 'low';

export interface StrategyInput {
  candidates: readonly Candidate[];
  request: StrategyRequest;
  snapshot: RoutingSnapshot;
}

/** A strategy orders candidates; it must not drop or invent any. Pure: no I/O, no clock but the snapshot's. */
export type Strategy = (input: StrategyInput) => Candidate[];

/** Chain order, for ties. */
export const byChain = (a: Candidate, b: Candidate): number => a.chainIndex - b.chainIndex;

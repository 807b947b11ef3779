import type { CircuitState } from './circuit-breaker.js';

/** One way to serve a request: a provider and the model to ask it for. */
export interface Candidate {
  provider: string;
  /** Model name sent upstream. */
  model: string;
  /** Position of the provider in the configured chain (0 = first). */
  chainIndex: number;
}

export interface ProviderView {
  state: CircuitState;
  requests: number;
  successes: number;
  failures: number;
  /** Recent latency p50 in ms, undefined until measured. */
  latencyP50Ms?: number;
}

/** The in-process picture a strategy decides from. Never read from Redis on the request path. */
export interface RoutingSnapshot {
  now: number;
  providers: ReadonlyMap<string, ProviderView>;
}

export interface StrategyInput {
  candidates: readonly Candidate[];
  request: { model: string; stream: boolean };
  snapshot: RoutingSnapshot;
}

/** A strategy orders candidates; it must not drop or invent any. Pure: no I/O, no clock but the snapshot's. */
export type Strategy = (input: StrategyInput) => Candidate[];

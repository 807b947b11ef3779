import type { BreakerSnapshot } from '../routing/circuit-breaker.js';

/**
 * Where breaker state lives. Reads and writes are synchronous and in process: the request path
 * never waits on a network. A shared backend (Redis) keeps a local copy, writes transitions through
 * in the background and applies other instances' transitions as they are published.
 */
export interface StateStore {
  getBreaker(provider: string): BreakerSnapshot;
  /** Applies `update` to the provider's snapshot atomically (with respect to this store). */
  updateBreaker(provider: string, update: (s: BreakerSnapshot) => BreakerSnapshot): BreakerSnapshot;
  /** Subscribes to every change of a breaker, local or (for shared stores) remote. */
  onBreakerChange(listener: (provider: string, next: BreakerSnapshot, previous: BreakerSnapshot) => void): void;
  close(): Promise<void>;
}

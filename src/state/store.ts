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
  /**
   * The probe admitted for `provider` has ended, however it ended (success, failure, neutral), and its
   * outcome is recorded. A shared store gives up its probe lease here, so that the next probe can be
   * granted as soon as the breaker allows one, not when the lease happens to run out.
   */
  probeEnded(provider: string): void;
  close(): Promise<void>;
}

import { type BreakerSnapshot, CLOSED } from '../routing/circuit-breaker.js';
import type { StateStore } from './store.js';

/** State of a single instance, in process: the default when no Redis is configured. */
export class MemoryStore implements StateStore {
  private readonly breakers = new Map<string, BreakerSnapshot>();
  private readonly listeners: Array<(p: string, next: BreakerSnapshot, prev: BreakerSnapshot) => void> = [];

  getBreaker(provider: string): BreakerSnapshot {
    return this.breakers.get(provider) ?? CLOSED;
  }

  updateBreaker(provider: string, update: (s: BreakerSnapshot) => BreakerSnapshot): BreakerSnapshot {
    const previous = this.getBreaker(provider);
    const next = update(previous);
    if (next !== previous) {
      this.breakers.set(provider, next);
      for (const l of this.listeners) l(provider, next, previous);
    }
    return next;
  }

  onBreakerChange(listener: (provider: string, next: BreakerSnapshot, previous: BreakerSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Nothing to give up: in process the snapshot alone says whether a probe is out. */
  probeEnded(_provider: string): void {}

  async close(): Promise<void> {}
}

import type { StateStore } from '../state/store.js';
import { type Admission, admit, type BreakerOutcome, type BreakerSettings, type CircuitState, CLOSED, msUntilProbe, record, visibleState } from './circuit-breaker.js';

/** The breakers of all providers: the pure state machine applied to the store's snapshots. */
export class Breakers {
  constructor(
    private readonly store: StateStore,
    readonly settings: BreakerSettings,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Asks to send one request to `provider`; an allowed admission must be settled with `settle`. */
  admit(provider: string): Admission {
    let admission: Admission = { allowed: false };
    this.store.updateBreaker(provider, (s) => {
      const r = admit(s, this.clock(), this.settings);
      admission = r.admission;
      return r.next;
    });
    return admission;
  }

  /** Records the outcome of an allowed admission; every admission must be settled once, however it ended. */
  settle(provider: string, admission: Admission, outcome: BreakerOutcome): void {
    if (!admission.allowed) return;
    this.store.updateBreaker(provider, (s) => record(s, admission, outcome, this.clock(), this.settings));
    // After the record, so a shared store sees the outcome's transition first and then frees the lease.
    if (admission.probe) this.store.probeEnded(provider);
  }

  reset(provider: string): void {
    this.store.updateBreaker(provider, (s) => (s.state === 'closed' && s.failures === 0 ? s : CLOSED));
  }

  state(provider: string): CircuitState {
    return visibleState(this.store.getBreaker(provider), this.clock(), this.settings);
  }

  msUntilProbe(provider: string): number {
    return msUntilProbe(this.store.getBreaker(provider), this.clock(), this.settings);
  }
}

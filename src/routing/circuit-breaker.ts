/**
 * The circuit breaker as a pure state machine: every function takes a snapshot and the clock,
 * and returns the next snapshot. Storage (in process or shared) lives elsewhere.
 *
 * CLOSED --(failure_threshold consecutive failures)--> OPEN
 * OPEN   --(cooldown elapsed; one request admitted as the probe)--> HALF_OPEN
 * HALF_OPEN --(probe succeeds)--> CLOSED ; --(probe fails)--> OPEN (cooldown restarts)
 *
 * Only outcomes of requests admitted while CLOSED count towards the threshold, and in HALF_OPEN only
 * the probe's outcome decides: a late result from a request admitted earlier cannot flip the breaker.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface BreakerSnapshot {
  state: CircuitState;
  /** Consecutive failures while closed. */
  failures: number;
  /** When the breaker last opened (ms since epoch); 0 when never. */
  openedAt: number;
  /** HALF_OPEN: whether the single probe is currently out. */
  probeInFlight: boolean;
}

export interface BreakerSettings {
  failureThreshold: number;
  cooldownMs: number;
}

/** What the gateway learnt from one attempt. `neutral`: the provider answered, but it says nothing of its health. */
export type BreakerOutcome = 'success' | 'failure' | 'neutral';

/** Handed out on admission; tells `record` how much weight the outcome carries. */
export type Admission = { allowed: false } | { allowed: true; probe: boolean };

export const CLOSED: BreakerSnapshot = Object.freeze({ state: 'closed', failures: 0, openedAt: 0, probeInFlight: false });

export function admit(s: BreakerSnapshot, now: number, cfg: BreakerSettings): { admission: Admission; next: BreakerSnapshot } {
  switch (s.state) {
    case 'closed':
      return { admission: { allowed: true, probe: false }, next: s };
    case 'open':
      if (now - s.openedAt < cfg.cooldownMs) return { admission: { allowed: false }, next: s };
      return { admission: { allowed: true, probe: true }, next: { state: 'half_open', failures: s.failures, openedAt: s.openedAt, probeInFlight: true } };
    case 'half_open':
      if (s.probeInFlight) return { admission: { allowed: false }, next: s };
      return { admission: { allowed: true, probe: true }, next: { state: s.state, failures: s.failures, openedAt: s.openedAt, probeInFlight: true } };
  }
}

export function record(s: BreakerSnapshot, admission: { probe: boolean }, outcome: BreakerOutcome, now: number, cfg: BreakerSettings): BreakerSnapshot {
  if (s.state === 'closed') {
    if (admission.probe) return s; // probe of an episode already closed by a reset
    if (outcome === 'success') return s.failures === 0 ? s : CLOSED;
    if (outcome === 'neutral') return s;
    const failures = s.failures + 1;
    if (failures >= cfg.failureThreshold) return { state: 'open', failures, openedAt: now, probeInFlight: false };
    return { state: s.state, failures, openedAt: s.openedAt, probeInFlight: s.probeInFlight };
  }
  if (s.state === 'half_open' && admission.probe) {
    if (outcome === 'success') return CLOSED;
    if (outcome === 'failure') return { state: 'open', failures: s.failures, openedAt: now, probeInFlight: false };
    return { state: s.state, failures: s.failures, openedAt: s.openedAt, probeInFlight: false }; // neutral: let the next request probe
  }
  return s;
}

/** The state an observer should see: an OPEN breaker whose cooldown has elapsed is ready to probe. */
export function visibleState(s: BreakerSnapshot, now: number, cfg: BreakerSettings): CircuitState {
  if (s.state === 'open' && now - s.openedAt >= cfg.cooldownMs) return 'half_open';
  return s.state;
}

/** Milliseconds until an OPEN breaker lets a probe through (0 when it would now). */
export function msUntilProbe(s: BreakerSnapshot, now: number, cfg: BreakerSettings): number {
  return s.state === 'open' ? Math.max(0, s.openedAt + cfg.cooldownMs - now) : 0;
}

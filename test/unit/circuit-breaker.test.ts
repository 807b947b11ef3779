import { describe, expect, it } from 'vitest';
import { Breakers } from '../../src/routing/breakers.js';
import { admit, type BreakerOutcome, type BreakerSnapshot, CLOSED, msUntilProbe, record, visibleState } from '../../src/routing/circuit-breaker.js';
import { fleetChange, parseBreakerMessage } from '../../src/state/breaker-sharing.js';
import { MemoryStore } from '../../src/state/memory-store.js';

const cfg = { failureThreshold: 3, cooldownMs: 1000 };

function fail(s: BreakerSnapshot, now: number, probe = false) {
  return record(s, { probe }, 'failure', now, cfg);
}

describe('circuit breaker state machine', () => {
  it('stays closed below the threshold and opens at it', () => {
    let s = CLOSED;
    s = fail(s, 1);
    s = fail(s, 2);
    expect(s.state).toBe('closed');
    expect(s.failures).toBe(2);
    s = fail(s, 3);
    expect(s).toMatchObject({ state: 'open', openedAt: 3 });
  });

  it('counts consecutive failures only: a success resets the count', () => {
    let s = fail(fail(CLOSED, 1), 2);
    s = record(s, { probe: false }, 'success', 3, cfg);
    expect(s.failures).toBe(0);
    s = fail(fail(s, 4), 5);
    expect(s.state).toBe('closed');
  });

  it('neutral outcomes neither count nor reset', () => {
    let s = fail(fail(CLOSED, 1), 2);
    s = record(s, { probe: false }, 'neutral', 3, cfg);
    expect(s.failures).toBe(2);
    expect(fail(s, 4).state).toBe('open');
  });

  it('refuses requests while open and admits exactly one probe after the cooldown', () => {
    const open = fail(fail(fail(CLOSED, 0), 0), 0);
    expect(admit(open, 999, cfg).admission.allowed).toBe(false);
    expect(msUntilProbe(open, 400, cfg)).toBe(600);
    expect(visibleState(open, 999, cfg)).toBe('open');
    expect(visibleState(open, 1000, cfg)).toBe('half_open');
    const first = admit(open, 1000, cfg);
    expect(first.admission).toEqual({ allowed: true, probe: true });
    expect(first.next).toMatchObject({ state: 'half_open', probeInFlight: true });
    const second = admit(first.next, 1001, cfg);
    expect(second.admission.allowed).toBe(false);
  });

  it('closes when the probe succeeds', () => {
    const open = { state: 'open', failures: 3, openedAt: 0, probeInFlight: false } as const;
    const half = admit(open, 1000, cfg).next;
    expect(record(half, { probe: true }, 'success', 1001, cfg)).toEqual(CLOSED);
  });

  it('re-opens with a fresh cooldown when the probe fails', () => {
    const open = { state: 'open', failures: 3, openedAt: 0, probeInFlight: false } as const;
    const half = admit(open, 1000, cfg).next;
    const again = fail(half, 1500, true);
    expect(again).toMatchObject({ state: 'open', openedAt: 1500, probeInFlight: false });
    expect(admit(again, 2400, cfg).admission.allowed).toBe(false);
    expect(admit(again, 2500, cfg).admission.allowed).toBe(true);
  });

  it('frees the probe slot when the probe says nothing (neutral)', () => {
    const half = admit({ state: 'open', failures: 3, openedAt: 0, probeInFlight: false }, 1000, cfg).next;
    const freed = record(half, { probe: true }, 'neutral', 1001, cfg);
    expect(freed).toMatchObject({ state: 'half_open', probeInFlight: false });
    expect(admit(freed, 1002, cfg).admission).toEqual({ allowed: true, probe: true });
  });

  it('ignores late results of requests admitted before the breaker opened', () => {
    const open = fail(fail(fail(CLOSED, 10), 10), 10);
    expect(record(open, { probe: false }, 'success', 20, cfg)).toBe(open);
    expect(record(open, { probe: false }, 'failure', 20, cfg)).toBe(open);
    const half = admit(open, 2000, cfg).next;
    expect(record(half, { probe: false }, 'success', 2001, cfg)).toBe(half);
    expect(record(half, { probe: false }, 'failure', 2001, cfg)).toBe(half);
  });
});

/** The in-process store, noting which probes it was told have ended. */
class WatchedStore extends MemoryStore {
  readonly ended: string[] = [];
  override probeEnded(provider: string): void {
    this.ended.push(provider);
  }
}

describe('breakers over a store', () => {
  const opened = (now: { t: number }) => {
    const store = new WatchedStore();
    const breakers = new Breakers(store, cfg, () => now.t);
    for (let i = 0; i < cfg.failureThreshold; i++) breakers.settle('alpha', breakers.admit('alpha'), 'failure');
    return { store, breakers };
  };

  it.each<BreakerOutcome>(['success', 'failure', 'neutral'])('ends the probe on a %s: the store hears of it, and the slot is free', (outcome) => {
    const now = { t: 0 };
    const { store, breakers } = opened(now);
    now.t = cfg.cooldownMs;
    const probe = breakers.admit('alpha');
    expect(probe).toEqual({ allowed: true, probe: true });
    expect(store.ended).toEqual([]);
    breakers.settle('alpha', probe, outcome);
    expect(store.ended).toEqual(['alpha']);
    expect(store.getBreaker('alpha').probeInFlight).toBe(false);
    // The next probe comes one cooldown after a failed one, at once after the others.
    if (outcome === 'failure') now.t += cfg.cooldownMs;
    expect(breakers.admit('alpha')).toEqual(outcome === 'success' ? { allowed: true, probe: false } : { allowed: true, probe: true });
  });

  it('tells the store of probes only, and of a probe whose breaker was reset meanwhile too', () => {
    const now = { t: 0 };
    const { store, breakers } = opened(now);
    expect(store.ended).toEqual([]); // the failures that opened it were no probes
    now.t = cfg.cooldownMs;
    const probe = breakers.admit('alpha');
    breakers.reset('alpha');
    breakers.settle('alpha', probe, 'failure');
    expect(store.ended).toEqual(['alpha']);
    expect(breakers.state('alpha')).toBe('closed');
  });
});

describe('what a local breaker change means for the fleet', () => {
  const closed = (failures: number): BreakerSnapshot => ({ ...CLOSED, failures });
  it('counts failures while closed, including the one that opened locally', () => {
    expect(fleetChange(closed(0), closed(1))).toBe('failure');
    expect(fleetChange(closed(2), fail(closed(2), 5))).toBe('failure');
  });
  it('writes a reset only when there was a run to reset', () => {
    expect(fleetChange(closed(2), CLOSED)).toBe('transition');
    expect(fleetChange(CLOSED, CLOSED)).toBe('none');
  });
  it('shares openings and closings but not half-open bookkeeping', () => {
    const open: BreakerSnapshot = { state: 'open', failures: 3, openedAt: 10, probeInFlight: false };
    const half: BreakerSnapshot = { ...open, state: 'half_open', probeInFlight: true };
    expect(fleetChange(open, half)).toBe('none');
    expect(fleetChange(half, { ...open, openedAt: 20 })).toBe('transition');
    expect(fleetChange(half, CLOSED)).toBe('transition');
  });
  it('parses transitions and failure counts, and nothing else', () => {
    expect(parseBreakerMessage('{"provider":"a","failures":2,"origin":"x"}')).toEqual({ kind: 'failures', f: { provider: 'a', failures: 2, origin: 'x' } });
    const t = { provider: 'a', state: 'open', failures: 3, openedAt: 5, origin: 'x', at: 5 };
    expect(parseBreakerMessage(JSON.stringify(t))).toEqual({ kind: 'transition', t });
    expect(parseBreakerMessage('nope')).toBeUndefined();
    expect(parseBreakerMessage('{"provider":"a"}')).toBeUndefined();
  });
});

import type { SimMode, SimProvider } from './sim-provider.js';

/** One scheduled change of a simulated provider's behaviour, `at` seconds into each cycle. */
export interface Incident {
  at: number;
  provider: string;
  mode: SimMode;
  /** What happens, and what to watch for on the dashboard. */
  says: string;
}

/**
 * The demo's incidents, repeated every `DEMO_CYCLE_SECONDS`: the cheapest provider hangs, the next one
 * is overloaded (529), both recover in turn, then the cheapest slows down and speeds up again.
 */
export const DEMO_INCIDENTS: readonly Incident[] = [
  { at: 4, provider: 'sim-gemini', mode: 'timeout', says: 'sim-gemini stops answering: requests time out and fail over, its breaker opens, half-open probes keep failing' },
  { at: 12, provider: 'sim-anthropic', mode: 'overloaded', says: 'sim-anthropic answers 529 overloaded: traffic moves to sim-openai, the expensive one (watch the cost)' },
  { at: 19, provider: 'sim-anthropic', mode: 'healthy', says: 'sim-anthropic recovers: its next half-open probe closes the breaker' },
  { at: 26, provider: 'sim-gemini', mode: 'healthy', says: 'sim-gemini recovers: a probe closes its breaker and the cost strategy brings traffic back to the cheapest' },
  { at: 33, provider: 'sim-gemini', mode: 'slow', says: 'sim-gemini slows down: its latency percentiles climb, but it stays within its timeout (no failover)' },
  { at: 41, provider: 'sim-gemini', mode: 'healthy', says: 'sim-gemini is fast again' },
];
export const DEMO_CYCLE_SECONDS = 48;

/**
 * Plays `incidents` on the simulated providers, cycle after cycle, telling `announce` of each as it
 * happens. Returns the function that stops it (and sets every provider healthy).
 *
 * @example
 * const stop = scheduleIncidents(sims, DEMO_INCIDENTS, DEMO_CYCLE_SECONDS, (i) => console.log(i.says));
 */
export function scheduleIncidents(sims: readonly SimProvider[], incidents: readonly Incident[], cycleSeconds: number, announce: (i: Incident) => void): () => void {
  const byName = new Map(sims.map((s) => [s.spec.name, s]));
  const timers: NodeJS.Timeout[] = [];
  const play = () => {
    for (const incident of incidents) {
      timers.push(
        setTimeout(() => {
          const sim = byName.get(incident.provider);
          if (!sim) return;
          sim.mode = incident.mode;
          announce(incident);
        }, incident.at * 1000),
      );
    }
  };
  play();
  const cycle = setInterval(play, cycleSeconds * 1000);
  return () => {
    clearInterval(cycle);
    for (const t of timers) clearTimeout(t);
    for (const s of sims) s.mode = 'healthy';
  };
}

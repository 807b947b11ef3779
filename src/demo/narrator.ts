import type { GatewayEvents } from '../core/events.js';
import { subscribe } from '../core/webhooks.js';
import type { CircuitState } from '../routing/circuit-breaker.js';

const SUMMARY_EVERY_MS = 5000;

const BREAKER_WORDS: Record<CircuitState, string> = {
  open: 'opened: it is skipped until its cooldown ends',
  half_open: 'half-open: one probe request is let through',
  closed: 'closed: the probe succeeded, it serves again',
};

/**
 * Tells what the gateway does during the demo, one line at a time: every breaker change, the first
 * failover of each kind in a while, and every 5 s a summary (answers by provider, failovers, cost).
 * Returns the function that stops it.
 *
 * @example
 * const stop = narrate(running.gateway.events, (line) => console.log(line));
 */
export function narrate(events: GatewayEvents, say: (line: string) => void): () => void {
  let failovers = 0;
  let costUsd = 0;
  const served = new Map<string, number>();
  const lastSaid = new Map<string, number>();
  const off = subscribe(events, ['breaker', 'failover', 'success'], (e) => {
    if (e.type === 'breaker') say(`breaker ${e.provider} ${BREAKER_WORDS[e.to]}`);
    else if (e.type === 'failover') {
      failovers += 1;
      const kind = `${e.from}>${e.to ?? ''}`;
      const now = Date.now();
      if (now - (lastSaid.get(kind) ?? 0) >= SUMMARY_EVERY_MS) {
        lastSaid.set(kind, now);
        say(`failover ${e.from} -> ${e.to ?? '(none left)'}: ${e.reason}`);
      }
    } else if (e.type === 'success') {
      served.set(e.provider, (served.get(e.provider) ?? 0) + 1);
      costUsd += e.costUsd;
    }
  });
  const timer = setInterval(() => {
    const by = [...served].map(([p, n]) => `${p} ${n}`).join(', ') || 'none';
    say(`last 5 s: answered by ${by}; ${failovers} failover${failovers === 1 ? '' : 's'}; cost $${costUsd.toFixed(5)}`);
    served.clear();
    failovers = 0;
    costUsd = 0;
  }, SUMMARY_EVERY_MS);
  return () => {
    off();
    clearInterval(timer);
  };
}

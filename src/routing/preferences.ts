import type { Candidate, RoutingSnapshot } from './strategy.js';

export interface Preferences {
  /** `x-switchyard-provider`: this provider first. */
  pin?: string;
  /** `x-switchyard-fallback: false`: with a pin, no other provider. */
  fallback: boolean;
  /** The provider that served this session before. */
  sessionProvider?: string;
}

/**
 * Applies per-request wishes on top of the strategy's order: a pinned provider goes first (alone when
 * fallback is off); otherwise a session's provider goes first while its breaker is closed.
 */
export function applyPreferences(ordered: readonly Candidate[], p: Preferences, snapshot: RoutingSnapshot): Candidate[] {
  const first = p.pin ?? (p.sessionProvider && snapshot.providers.get(p.sessionProvider)?.state === 'closed' ? p.sessionProvider : undefined);
  if (!first) return [...ordered];
  const front = ordered.filter((c) => c.provider === first);
  if (p.pin && !p.fallback) return front;
  return [...front, ...ordered.filter((c) => c.provider !== first)];
}

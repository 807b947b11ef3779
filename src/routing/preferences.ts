import type { Candidate, RoutingSnapshot } from './strategy.js';

export interface Preferences {
  /** `x-switchyard-provider`: this provider first. */
  pin?: string;
  /** `x-switchyard-fallback: false`: with a pin, no other provider. */
  fallback: boolean;
  /** The provider that served this session before. */
  sessionProvider?: string;
  /** `x-switchyard-prefer: a,b`: these providers first, in this order, the rest after them. */
  prefer?: readonly string[];
}

/**
 * Applies per-request wishes on top of the strategy's order: preferred providers (`prefer`) move to the
 * front in the order listed, each provider's candidates in the strategy's order, the rest after them as
 * the strategy ordered them; then a pinned provider goes first (alone when fallback is off); otherwise a
 * session's provider goes first while its breaker is closed.
 *
 * @example
 * applyPreferences(ordered, { fallback: true, prefer: ['anthropic', 'gemini'] }, snapshot);
 * // anthropic's candidates, gemini's, then the others in the strategy's order
 */
export function applyPreferences(ordered: readonly Candidate[], p: Preferences, snapshot: RoutingSnapshot): Candidate[] {
  const preferred = p.prefer && p.prefer.length > 0 ? preferFirst(ordered, p.prefer) : ordered;
  const first = p.pin ?? (p.sessionProvider && snapshot.providers.get(p.sessionProvider)?.state === 'closed' ? p.sessionProvider : undefined);
  if (!first) return [...preferred];
  const front = preferred.filter((c) => c.provider === first);
  if (p.pin && !p.fallback) return front;
  return [...front, ...preferred.filter((c) => c.provider !== first)];
}

/** The candidates of the `prefer` providers first, in the order listed; the others after them, as they were. */
function preferFirst(ordered: readonly Candidate[], prefer: readonly string[]): Candidate[] {
  const rank = (c: Candidate) => {
    const i = prefer.indexOf(c.provider);
    return i < 0 ? prefer.length : i;
  };
  // Array.prototype.sort is stable: within a rank, the strategy's order stays.
  return [...ordered].sort((a, b) => rank(a) - rank(b));
}

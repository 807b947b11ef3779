/** Routing snapshots from plain data, for the pure routing functions' tests. */
import type { Candidate, ProviderView, RoutingSnapshot } from '../../src/routing/strategy.js';

export const cand = (provider: string, chainIndex: number, model = 'm'): Candidate => ({ provider, model, chainIndex });

/** A snapshot whose providers have these views over a healthy, unmeasured default. */
export function snapshotOf(views: Record<string, Partial<ProviderView>>, now = 1_000): RoutingSnapshot {
  const full = (v: Partial<ProviderView>): ProviderView => ({ state: 'closed', requests: 0, successes: 0, failures: 0, weight: 1, ...v });
  return { now, providers: new Map(Object.entries(views).map(([name, v]) => [name, full(v)])), price: () => undefined, random: () => 0.5 };
}

export const providersOf = (out: readonly Candidate[]): string[] => out.map((c) => c.provider);

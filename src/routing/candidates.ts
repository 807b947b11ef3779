import type { ProviderLookup } from '../core/provider-runtime.js';
import { modelMatcher } from '../providers/presets.js';
import type { Candidate } from './strategy.js';

const matchers = new WeakMap<readonly string[], (model: string) => boolean>();

/** Whether a `models` list (names and `*` globs) has the model; matchers are compiled once per list. */
function serves(models: readonly string[], model: string): boolean {
  let m = matchers.get(models);
  if (!m) matchers.set(models, (m = modelMatcher(models)));
  return m(model);
}

/**
 * Resolves which providers can serve `model` and under which upstream name:
 * - a provider that lists `models` (names, or globs like `claude-*`) serves those names as they are;
 * - otherwise it is asked for its `default_model` when it has one;
 * - a provider with neither list nor default passes the requested name through.
 * Candidates come back in chain order; filtering by breaker state and ordering happen after.
 */
export function resolveCandidates(
  model: string,
  providers: ProviderLookup,
  chain: readonly string[],
  /** Whether a provider can take this kind of request at all (its adapter's endpoints). */
  canServe: (provider: string) => boolean = () => true,
): Candidate[] {
  const out: Candidate[] = [];
  chain.forEach((name, chainIndex) => {
    const p = providers.get(name);
    if (!p || !canServe(name)) return;
    if (p.models && serves(p.models, model)) out.push({ provider: name, model, chainIndex });
    else if (p.default_model) out.push({ provider: name, model: p.default_model, chainIndex });
    else if (!p.models) out.push({ provider: name, model, chainIndex });
  });
  return out;
}

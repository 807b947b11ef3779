import { configuredScoreWeights, scoreStrategy } from '../routing/score.js';
import type { Strategy } from '../routing/strategy.js';
import { builtInStrategyNames, loadStrategy } from '../routing/strategy-loader.js';
import { ConfigError, type LoadedConfig, type LoadOptions, loadConfigFile } from './load.js';
import { configDir, strategyReferences } from './strategy-refs.js';

/**
 * Loads every strategy a request may name: the built-ins and those the config names (files are imported,
 * so a module that fails to load or exports no function is found here). A configured one that fails is
 * a ConfigError naming its key path, the same text check-config, serve and reload report.
 */
export async function loadConfiguredStrategies(loaded: LoadedConfig): Promise<Map<string, Strategy>> {
  const baseDir = configDir(loaded.source);
  const strategies = new Map<string, Strategy>();
  for (const name of builtInStrategyNames()) strategies.set(name, await loadStrategy(name, baseDir));
  const weights = configuredScoreWeights(loaded.config.routing.lanes);
  if (weights) strategies.set('score', scoreStrategy(weights));
  const problems: string[] = [];
  const routings = [strategyReferences(loaded.config.routing), ...[...loaded.modes].map(([name, view]) => strategyReferences(view.routing, `modes.${name}.routing`))];
  for (const { path, ref } of routings.flat()) {
    if (strategies.has(ref)) continue;
    try {
      strategies.set(ref, await loadStrategy(ref, baseDir));
    } catch (err) {
      problems.push(`${path}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(loaded.source, problems);
  return strategies;
}

/**
 * The one validation behind `check-config`, `serve` and hot reload: read, parse and check the file
 * (schema, references between sections, strategy and TLS files, redis.url), then load its strategies.
 * Throws a ConfigError listing every problem by key path.
 */
export async function validateConfigFile(path: string, options: LoadOptions = {}): Promise<LoadedConfig> {
  const loaded = loadConfigFile(path, options);
  await loadConfiguredStrategies(loaded);
  return loaded;
}

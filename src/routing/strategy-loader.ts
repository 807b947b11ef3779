import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Strategy } from './strategy.js';

/** Compiled built-in strategies live in `<dist>/strategies/<name>.js`. */
const BUILT_IN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../strategies');

export class StrategyLoadError extends Error {
  override name = 'StrategyLoadError';
}

/** A bare name (`priority`) is a built-in; anything with a slash or a .js/.mjs ending is a file path. */
export function isStrategyPath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || /\.m?js$/.test(ref);
}

export function builtInStrategyNames(): string[] {
  return ['priority', 'cost', 'latency', 'health', 'weighted', 'headroom'];
}

/**
 * Loads a strategy module at start-up (never on the request path). A module must export a function
 * as its default export or as `order`.
 */
export async function loadStrategy(ref: string, baseDir: string): Promise<Strategy> {
  let file: string;
  if (isStrategyPath(ref)) {
    file = isAbsolute(ref) ? ref : resolve(baseDir, ref);
  } else {
    if (!/^[a-z][a-z0-9_-]*$/.test(ref)) throw new StrategyLoadError(`invalid strategy name "${ref}"`);
    // .js when running the build; .ts when the sources run directly (tests).
    file = [`${ref}.js`, `${ref}.ts`].map((f) => resolve(BUILT_IN_DIR, f)).find((f) => existsSync(f)) ?? '';
    if (!file) {
      throw new StrategyLoadError(
        `unknown strategy "${ref}" (built in: ${builtInStrategyNames().join(', ')}; or name a .js file)`,
      );
    }
  }
  if (!existsSync(file)) throw new StrategyLoadError(`strategy file not found: ${file}`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new StrategyLoadError(`strategy "${ref}" failed to load: ${(err as Error).message}`);
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.order;
  if (typeof fn !== 'function') {
    throw new StrategyLoadError(
      `strategy "${ref}" must export a function (default export or "order") taking { candidates, request, snapshot } and returning the candidates in order`,
    );
  }
  return fn as Strategy;
}

import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Strategy } from './strategy.js';

/** Compiled built-in strategies live in `<dist>/strategies/<name>.js`. */
const BUILT_IN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../strategies');

const BUILT_IN_NAMES = ['priority', 'cost', 'latency', 'health', 'weighted', 'headroom', 'score', 'slo'] as const;

export class StrategyLoadError extends Error {
  override name = 'StrategyLoadError';
}

/** A bare name (`priority`) is a built-in; anything with a slash or a .js/.mjs ending is a file path. */
export function isStrategyPath(ref: string): boolean {
  return ref.includes('/') || ref.includes('\\') || /\.m?js$/.test(ref);
}

export function builtInStrategyNames(): string[] {
  return [...BUILT_IN_NAMES];
}

/** The module file a strategy reference names, or why it names none. Relative paths start at `baseDir`. */
export function resolveStrategyFile(ref: string, baseDir: string): { file: string } | { problem: string } {
  if (isStrategyPath(ref)) {
    const file = isAbsolute(ref) ? ref : resolve(baseDir, ref);
    return existsSync(file) ? { file } : { problem: `strategy file not found: ${file}` };
  }
  const known = (BUILT_IN_NAMES as readonly string[]).includes(ref);
  // .js when running the build; .ts when the sources run directly (tests).
  const file = known ? [`${ref}.js`, `${ref}.ts`].map((f) => resolve(BUILT_IN_DIR, f)).find((f) => existsSync(f)) : undefined;
  if (file) return { file };
  return { problem: `unknown strategy "${ref}" (built-in: ${BUILT_IN_NAMES.join(', ')}; or a path to a .js/.mjs file)` };
}

/**
 * Loads a strategy module at start-up (never on the request path). A module must export a function
 * as its default export or as `order`.
 */
export async function loadStrategy(ref: string, baseDir: string): Promise<Strategy> {
  const resolved = resolveStrategyFile(ref, baseDir);
  if ('problem' in resolved) throw new StrategyLoadError(resolved.problem);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(resolved.file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new StrategyLoadError(`strategy "${ref}" failed to load: ${(err as Error).message}`);
  }
  const fn = typeof mod.default === 'function' ? mod.default : mod.order;
  if (typeof fn !== 'function') {
    throw new StrategyLoadError(`strategy "${ref}" must export a function (default export or "order") taking { candidates, request, snapshot } and returning the candidates in order`);
  }
  return fn as Strategy;
}

import { dirname } from 'node:path';
import { resolveStrategyFile } from '../routing/strategy-loader.js';
import { formatPath } from './interpolate.js';
import type { Config } from './schema.js';

/** Where a config's relative paths (strategy files, TLS files) start: its folder, or the working directory. */
export function configDir(source: string): string {
  return source === '(inline)' ? process.cwd() : dirname(source);
}

export interface StrategyReference {
  /** Key path, e.g. `routing.routes.gpt-4o.strategy`. */
  path: string;
  /** A built-in name or a file path. */
  ref: string;
}

/** Every strategy the config names, with where it names it. */
export function strategyReferences(routing: Config['routing'], at = 'routing'): StrategyReference[] {
  return [
    { path: `${at}.strategy`, ref: routing.strategy },
    ...Object.entries(routing.routes).flatMap(([model, route]) => (route.strategy ? [{ path: formatPath([...at.split('.'), 'routes', model, 'strategy']), ref: route.strategy }] : [])),
  ];
}

/** References that name no built-in and no existing file, as `key.path: problem` lines. */
export function strategyReferenceProblems(routing: Config['routing'], baseDir: string, at = 'routing'): string[] {
  return strategyReferences(routing, at).flatMap(({ path, ref }) => {
    const resolved = resolveStrategyFile(ref, baseDir);
    return 'problem' in resolved ? [`${path}: ${resolved.problem}`] : [];
  });
}

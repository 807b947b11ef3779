import { formatPath } from './interpolate.js';
import { type Config, routingSchema } from './schema.js';
import { strategyReferenceProblems } from './strategy-refs.js';

/** How requests are routed under one mode (or with none): the routing settings and the model aliases. */
export interface RoutingView {
  /** The mode's name; undefined for the top-level settings. */
  mode?: string;
  routing: Config['routing'];
  models: Config['models'];
}

/** Routing fields a mode may not override: they shape the instance, not a request's route. */
const FIXED = ['fallback_chain', 'session_ttl_seconds'];

/**
 * Alias targets on providers that cannot be used are dropped (with a warning); unknown ones are problems.
 *
 * @example
 * usableAliases({ fast: [{ provider: 'a', model: 'm' }] }, new Set(['a']), new Set(['a']), 'models', problems, warnings);
 */
export function usableAliases(aliases: Config['models'], known: ReadonlySet<string>, usable: ReadonlySet<string>, path: string, problems: string[], warnings: string[]): Config['models'] {
  const kept: Config['models'] = {};
  for (const [alias, targets] of Object.entries(aliases)) {
    const ok = targets.filter((t, i) => {
      if (!known.has(t.provider)) problems.push(`${path}.${alias}[${i}].provider: unknown provider "${t.provider}"`);
      else if (!usable.has(t.provider)) warnings.push(`model alias "${alias}": target ${t.provider}/${t.model} skipped (provider not usable)`);
      return usable.has(t.provider);
    });
    if (ok.length > 0) kept[alias] = ok;
  }
  return kept;
}

/**
 * Each configured mode as a whole routing view: the top-level `routing` with the mode's fields over it
 * (its `routes` merged per model, checked by the same schema) and the aliases with the mode's added or
 * replaced. Problems are `key.path: what` lines.
 *
 * @example
 * const { views } = resolveModes(rawRouting, config, known, usable, baseDir);
 * views.get('budget')?.routing.strategy; // 'cost'
 */
export function resolveModes(
  rawRouting: unknown,
  config: Config,
  known: ReadonlySet<string>,
  usable: ReadonlySet<string>,
  baseDir: string,
): { views: Map<string, RoutingView>; problems: string[]; warnings: string[] } {
  const views = new Map<string, RoutingView>();
  const problems: string[] = [];
  const warnings: string[] = [];
  const base = isObject(rawRouting) ? rawRouting : {};
  for (const [name, mode] of Object.entries(config.modes)) {
    const over = mode.routing ?? {};
    for (const f of FIXED) if (f in over) problems.push(`modes.${name}.routing.${f}: set it at the top level: a mode cannot change it`);
    const merged = { ...base, ...over, routes: { ...(isObject(base.routes) ? base.routes : {}), ...(isObject(over.routes) ? over.routes : {}) } };
    const parsed = routingSchema.safeParse(merged);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) problems.push(`${formatPath(['modes', name, 'routing', ...issue.path.map(String)])}: ${issue.message}`);
      continue;
    }
    problems.push(...strategyReferenceProblems(parsed.data, baseDir, `modes.${name}.routing`));
    const models = usableAliases({ ...config.models, ...(mode.models ?? {}) }, known, usable, `modes.${name}.models`, problems, warnings);
    views.set(name, { mode: name, routing: parsed.data, models });
  }
  if (config.mode !== undefined && !views.has(config.mode) && !(config.mode in config.modes)) {
    problems.push(`mode: unknown mode "${config.mode}" (modes: ${Object.keys(config.modes).join(', ') || 'none'})`);
  }
  return { views, problems, warnings };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import type { z } from 'zod';
import type { UpstreamTls } from '../providers/http-client.js';
import { DISCOVERY_ORDER, PRESETS } from '../providers/presets.js';
import { formatPath, interpolateTree, protectReferences, type UnsetVariable } from './interpolate.js';
import { laneWarnings } from './lanes-schema.js';
import { type RoutingView, resolveModes, usableAliases } from './modes.js';
import { type Config, configSchema, type ProviderConfig, redisConfigured } from './schema.js';
import { configDir, strategyReferenceProblems } from './strategy-refs.js';
import { readUpstreamTls } from './upstream-tls.js';

export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  config: Config;
  /** Providers that can be used (those whose api_key variable is unset are left out). */
  providers: ProviderConfig[];
  /** Chain order over usable providers: fallback_chain first, then the rest in file order. */
  chain: string[];
  /** Per provider name: its `tls` settings with the files read (providers without `tls` are absent). */
  tls: ReadonlyMap<string, UpstreamTls>;
  warnings: string[];
  /** Things worth saying at start-up (auto-discovery). */
  notes: string[];
  /** Absolute path of the file, or `(inline)`. */
  source: string;
  /** Each configured mode as a whole routing view (the top-level settings with the mode's over them). */
  modes: ReadonlyMap<string, RoutingView>;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Values that beat the file (from CLI flags). */
  portOverride?: number;
  /** Changes the config tree after interpolation, before it is checked (the library adds its clients' providers). */
  amend?: (tree: Record<string, unknown>) => void;
}

export function loadConfigFile(path: string, options: LoadOptions = {}): LoadedConfig {
  const source = resolve(path);
  let text: string;
  try {
    text = readFileSync(source, 'utf8');
  } catch (err) {
    throw new ConfigError(source, [`cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseConfig(text, source, options);
}

export function parseConfig(text: string, source = '(inline)', options: LoadOptions = {}): LoadedConfig {
  const env = options.env ?? process.env;
  const { text: safeText, refs } = protectReferences(text);
  let raw: unknown;
  try {
    // An empty file (or only comments) is a valid config: every default, providers from the environment.
    const onlyComments = safeText.replace(/^\s*#.*$/gm, '').trim() === '';
    raw = onlyComments ? {} : (parseYaml(safeText) ?? {});
  } catch (err) {
    throw new ConfigError(source, [`YAML syntax: ${(err as Error).message.split('\n')[0]}`]);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError(source, ['(root): expected a mapping of settings']);
  }
  const unset: UnsetVariable[] = [];
  const tree = interpolateTree(raw, refs, env, unset) as Record<string, unknown>;
  // A section whose keys are all commented out parses as null: treat it as absent.
  for (const [k, v] of Object.entries(tree)) if (v === null) delete tree[k];
  applyEnvOverrides(tree, env, options);
  options.amend?.(tree);
  const notes: string[] = [];
  if (tree.providers === undefined || (Array.isArray(tree.providers) && tree.providers.length === 0)) {
    tree.providers = discoverProviders(env);
    notes.push(
      (tree.providers as unknown[]).length > 0
        ? `no providers in config: found ${(tree.providers as Array<{ name: string }>).map((p) => p.name).join(', ')} from the environment`
        : `no providers in config and none in the environment (set e.g. ${DISCOVERY_ORDER.slice(0, 3)
            .map((n) => PRESETS[n]!.key_env)
            .join(', ')}, or OLLAMA_HOST)`,
    );
  } else if (Array.isArray(tree.providers)) {
    tree.providers.forEach((p: unknown, i: number) => {
      applyPreset(p, i, env, unset);
    });
  }

  const parsed = configSchema.safeParse(tree);
  if (!parsed.success) throw new ConfigError(source, describeIssues(parsed.error.issues, unset));
  const config = parsed.data;

  const problems: string[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  config.providers.forEach((p, i) => {
    if (seen.has(p.name)) problems.push(`providers[${i}].name: duplicate provider name "${p.name}"`);
    seen.add(p.name);
  });

  const baseDir = configDir(source);
  const tls = new Map<string, UpstreamTls>();
  config.providers.forEach((p, i) => {
    if (!p.tls) return;
    if (!p.base_url.startsWith('https:')) problems.push(`providers[${i}].tls: applies to https:// base URLs only (base_url is ${p.base_url.split(':')[0]}://)`);
    if (!p.tls.reject_unauthorized) warnings.push(`provider "${p.name}": tls.reject_unauthorized is false: its certificate is not verified`);
    const read = readUpstreamTls(p.tls, baseDir, `providers[${i}].tls`);
    problems.push(...read.problems);
    if (read.tls) tls.set(p.name, read.tls);
  });
  problems.push(...strategyReferenceProblems(config.routing, baseDir));

  const providers = config.providers.filter((p, i) => {
    const declared = p.api_key !== undefined || p.api_keys !== undefined;
    const keys = providerKeys(p);
    const missing = unset.filter((u) => u.path === `providers[${i}].api_key` || u.path.startsWith(`providers[${i}].api_keys[`)).map((u) => u.variable);
    if (!declared || keys.length > 0) {
      if (missing.length > 0) warnings.push(`provider "${p.name}": ${missing.length} key variable(s) not set (${missing.join(', ')}); using ${keys.length} key(s)`);
      return true;
    }
    warnings.push(`provider "${p.name}" skipped: no API key` + (missing.length ? ` (environment variable ${missing.join(', ')} is not set)` : ''));
    return false;
  });
  const usable = new Set(providers.map((p) => p.name));

  const chain: string[] = [];
  (config.routing.fallback_chain ?? []).forEach((name, i) => {
    if (!seen.has(name)) problems.push(`routing.fallback_chain[${i}]: unknown provider "${name}"`);
    else if (usable.has(name) && !chain.includes(name)) chain.push(name);
  });
  for (const p of providers) if (!chain.includes(p.name)) chain.push(p.name);

  // Alias targets on providers that were skipped are dropped (with a warning); unknown ones are errors.
  const modes = resolveModes(tree.routing, config, seen, usable, baseDir);
  problems.push(...modes.problems);
  warnings.push(...modes.warnings);
  config.models = usableAliases(config.models, seen, usable, 'models', problems, warnings);

  if (config.server.workers > 1 && !redisConfigured(config.redis)) {
    problems.push('server.workers: more than one worker needs redis (url, sentinels or cluster): workers share breakers, limits, budgets, sessions and idempotency there, as instances do');
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  if (providers.length === 0) warnings.push('no usable provider: every request will be answered with 503');
  warnings.push(...laneWarnings(config.providers, config.routing.lanes.low.avoid));
  return { config, providers, chain, tls, warnings: [...new Set(warnings)], notes, source, modes: modes.views };
}

/** Fills `type`, `base_url` and the key from a provider's `preset`, where the entry does not set them. */
function applyPreset(entry: unknown, i: number, env: NodeJS.ProcessEnv, unset: UnsetVariable[]): void {
  if (!entry || typeof entry !== 'object') return;
  const p = entry as Record<string, unknown>;
  if (typeof p.preset !== 'string') return;
  const preset = PRESETS[p.preset];
  if (!preset) return; // the schema names the unknown preset
  p.type ??= preset.type;
  p.base_url ??= preset.base_url;
  if (p.api_key === undefined && p.api_keys === undefined && preset.key_env) {
    const v = env[preset.key_env];
    p.api_key = v ?? '';
    if (!v) unset.push({ path: `providers[${i}].api_key`, variable: preset.key_env });
  }
}

/**
 * Providers from the standard key variables (and OLLAMA_HOST), for a config that names none (and for
 * `switchyard init`): each with its preset's name, type, base URL, key and model globs.
 *
 * @example
 * discoverProviders({ ANTHROPIC_API_KEY: 'sk-ant-1' }); // [{ name: 'anthropic', preset: 'anthropic', type: 'anthropic', ... }]
 */
export function discoverProviders(env: NodeJS.ProcessEnv): Array<Record<string, unknown>> {
  const found: Array<Record<string, unknown>> = [];
  for (const name of DISCOVERY_ORDER) {
    const preset = PRESETS[name]!;
    const key = preset.key_env ? env[preset.key_env] : undefined;
    if (key) found.push({ name, preset: name, type: preset.type, base_url: preset.base_url, api_key: key, ...(preset.models ? { models: preset.models } : {}) });
  }
  if (env.OLLAMA_HOST) {
    const host = env.OLLAMA_HOST.includes('://') ? env.OLLAMA_HOST : `http://${env.OLLAMA_HOST}`;
    found.push({ name: 'ollama', preset: 'ollama', type: 'ollama', base_url: host });
  }
  return found;
}

function applyEnvOverrides(tree: Record<string, unknown>, env: NodeJS.ProcessEnv, options: LoadOptions): void {
  const section = (key: string): Record<string, unknown> => {
    const v = tree[key];
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
    const fresh: Record<string, unknown> = {};
    if (v === undefined || v === null) tree[key] = fresh;
    return fresh;
  };
  if (options.portOverride !== undefined) section('server').port = options.portOverride;
  else if (env.PORT) section('server').port = env.PORT;
  if (env.REDIS_URL) section('redis').url = env.REDIS_URL;
}

function describeIssues(issues: z.core.$ZodIssue[], unset: UnsetVariable[]): string[] {
  return issues.map((issue) => {
    const path = formatPath(issue.path);
    let message = issue.message;
    if (issue.code === 'unrecognized_keys') {
      message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
    }
    const from = unset.find((u) => u.path === path);
    return `${path}: ${message}${from ? ` (environment variable ${from.variable} is not set)` : ''}`;
  });
}

/** A provider's non-empty keys: `api_key` then `api_keys`. */
export function providerKeys(p: ProviderConfig): string[] {
  return [p.api_key, ...(p.api_keys ?? [])].filter((k): k is string => typeof k === 'string' && k !== '');
}

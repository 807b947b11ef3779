import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { load as parseYaml } from 'js-yaml';
import type { z } from 'zod';
import { configSchema, type Config, type ProviderConfig } from './schema.js';
import { formatPath, interpolateTree, protectReferences, type UnsetVariable } from './interpolate.js';

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
  warnings: string[];
  /** Absolute path of the file, or `(inline)`. */
  source: string;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Values that beat the file (from CLI flags). */
  portOverride?: number;
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
    raw = parseYaml(safeText) ?? {};
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

  if (problems.length > 0) throw new ConfigError(source, problems);
  if (providers.length === 0) warnings.push('no usable provider: every request will be answered with 503');
  return { config, providers, chain, warnings, source };
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

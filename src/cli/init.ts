/**
 * `switchyard init [--output <file>] [--force]`: a commented starting config from the key variables found
 * in the environment (the same discovery as a config without providers), never overwriting a file
 * unless told to.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { discoverProviders } from '../config/load.js';
import { DISCOVERY_ORDER, PRESETS } from '../providers/presets.js';

/** A string as YAML reads it back exactly (JSON strings are YAML double-quoted scalars). */
const q = (s: string): string => JSON.stringify(s);

/** The YAML lines of one discovered provider; its key stays a `${VAR}` reference, never the value. */
function providerLines(p: Record<string, unknown>): string[] {
  const name = String(p.name);
  const preset = PRESETS[name];
  const lines = [`  - name: ${name}`, `    preset: ${name}                # type ${preset?.type}, ${preset?.base_url}`];
  if (preset?.key_env) lines.push(`    api_key: \${${preset.key_env}}`);
  else lines.push(`    base_url: ${q(String(p.base_url))}   # from OLLAMA_HOST`);
  const models = p.models as string[] | undefined;
  if (models) lines.push(`    models: [${models.map(q).join(', ')}]   # the model names sent here`);
  lines.push('    # pricing: { <model>: { input: <USD>, output: <USD> } }   # per 1M tokens, for the cost strategy and /stats');
  return lines;
}

/**
 * The text of a starting config for this environment: one provider per key variable set (and
 * `OLLAMA_HOST`), keys as `${VAR}` references, the routing and breaker defaults spelled out, and the
 * optional sections commented. It loads with `switchyard check-config` as written.
 *
 * @example
 * initConfigText({ OPENAI_API_KEY: 'sk-1' }); // "# switchyard config ...\nproviders:\n  - name: openai\n ..."
 */
export function initConfigText(env: NodeJS.ProcessEnv): string {
  const found = discoverProviders(env);
  const names = found.map((p) => String(p.name));
  const providers =
    found.length > 0
      ? ['providers:', ...found.flatMap(providerLines)]
      : [
          '# No key variable was set when this file was written: none of',
          `# ${DISCOVERY_ORDER.map((n) => PRESETS[n]?.key_env).join(', ')}, OLLAMA_HOST.`,
          '# An empty list means: discover them from the environment at start. Or name them, e.g.:',
          '#   - name: openai',
          '#     preset: openai',
          '#     api_key: ${OPENAI_API_KEY}',
          'providers: []',
        ];
  return [
    '# switchyard config, written by `switchyard init`.',
    '# Check it: npx switchyard check-config <this file>; serve it: npx switchyard serve --config <this file>',
    '# Values may be ${VAR} or ${VAR:-default}: keys stay in the environment, never in this file.',
    '',
    'server:',
    '  port: 8000             # PORT in the environment wins',
    '  host: 0.0.0.0',
    '',
    ...providers,
    '',
    'routing:',
    '  # priority | cost | latency | health | weighted | headroom | score | slo, or a path to your own .js/.mjs file',
    '  strategy: priority',
    ...(names.length > 1 ? [`  fallback_chain: [${names.join(', ')}]`] : []),
    '  # Priority lanes (x-switchyard-priority: high | normal | low):',
    '  # lanes:',
    '  #   high: { reserve: 0.2 }                            # budget share kept for user-facing traffic',
    '  #   low: { max_headroom_use: 0.5, avoid: [openai] }   # batch traffic: half a budget at most, never these',
    '',
    'circuit_breaker:',
    '  failure_threshold: 5   # consecutive failures that open a provider',
    '  cooldown_seconds: 60   # then one probe request is let through',
    '',
    '# Several instances sharing breakers, stats and limits:',
    '# redis: { url: ${REDIS_URL:-} }',
    '',
    '# Client keys the gateway asks for (Authorization: Bearer <key>):',
    '# auth:',
    '#   keys: [${SWITCHYARD_CLIENT_KEY}]',
    '',
  ].join('\n');
}

/**
 * Runs `init`: writes `initConfigText` to `--output` (default `./config.yaml`), refusing an existing file
 * without `--force`. Returns the exit code (0 written, 1 refused or failed, 2 bad usage).
 *
 * @example
 * process.exitCode = runInit(['--output', 'gateway.yaml'], process.env);
 */
export function runInit(args: readonly string[], env: NodeJS.ProcessEnv): number {
  let output = './config.yaml';
  let force = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--force') force = true;
    else if (a === '--output' && args[i + 1] !== undefined) output = args[++i]!;
    else if (a.startsWith('--output=')) output = a.slice('--output='.length);
    else {
      console.error(`init: unknown argument "${a}" (usage: switchyard init [--output <file>] [--force])`);
      return 2;
    }
  }
  const file = resolve(output);
  if (existsSync(file) && !force) {
    console.error(`init: ${file} exists; not overwritten (use --force to replace it)`);
    return 1;
  }
  const text = initConfigText(env);
  try {
    writeFileSync(file, text);
  } catch (err) {
    console.error(`init: cannot write ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    return 1;
  }
  const found = discoverProviders(env).map((p) => String(p.name));
  console.log(`wrote ${file} (${found.length > 0 ? `providers: ${found.join(', ')}` : 'no key variables found: providers are discovered at start'})`);
  return 0;
}

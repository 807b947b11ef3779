/**
 * `${VAR}` / `${VAR:-default}` interpolation over a parsed YAML tree.
 * Done on string values after parsing (not on the raw text) so that a value can never
 * break the YAML structure. `$${` escapes a literal `${`.
 */
export interface UnsetVariable {
  /** Key path of the value that referenced the variable, e.g. `providers[1].api_key`. */
  path: string;
  variable: string;
}

const PATTERN = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export function interpolateString(
  value: string,
  env: NodeJS.ProcessEnv,
  onUnset: (variable: string) => void,
): string {
  return value.replace(PATTERN, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$${') return '${';
    const v = env[name as string];
    if (v !== undefined && v !== '') return v;
    if (fallback !== undefined) return fallback;
    onUnset(name as string);
    return '';
  });
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

export function interpolateTree(
  node: unknown,
  env: NodeJS.ProcessEnv,
  unset: UnsetVariable[],
  path: (string | number)[] = [],
): unknown {
  if (typeof node === 'string') {
    return interpolateString(node, env, (variable) => unset.push({ path: formatPath(path), variable }));
  }
  if (Array.isArray(node)) return node.map((item, i) => interpolateTree(item, env, unset, [...path, i]));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, env, unset, [...path, k]);
    return out;
  }
  return node;
}

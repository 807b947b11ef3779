/**
 * `${VAR}` / `${VAR:-default}` interpolation. References are swapped for plain tokens before the YAML
 * is parsed (so `{ url: ${REDIS_URL:-} }` stays valid flow syntax) and resolved in the parsed tree
 * (so a value can never break the YAML structure). `$${` stands for a literal `${`.
 */
export interface UnsetVariable {
  /** Key path of the value that referenced the variable, e.g. `providers[1].api_key`. */
  path: string;
  variable: string;
}

interface Reference {
  literal?: string;
  name?: string;
  fallback?: string;
}

const REFERENCE = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;
const TOKEN = /__switchyard_ref_(\d+)__/g;

export interface ProtectedText {
  text: string;
  refs: Reference[];
}

export function protectReferences(text: string): ProtectedText {
  const refs: Reference[] = [];
  const out = text.replace(REFERENCE, (match, name: string | undefined, fallback: string | undefined) => {
    refs.push(match === '$${' ? { literal: '${' } : { name: name as string, ...(fallback !== undefined ? { fallback } : {}) });
    return `__switchyard_ref_${refs.length - 1}__`;
  });
  return { text: out, refs };
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out === '' ? String(p) : `.${String(p)}`;
  }
  return out || '(root)';
}

/** Resolves the tokens left by `protectReferences` everywhere in a parsed tree (keys stay as written). */
export function interpolateTree(node: unknown, refs: readonly Reference[], env: NodeJS.ProcessEnv, unset: UnsetVariable[], path: (string | number)[] = []): unknown {
  if (typeof node === 'string') {
    return node.replace(TOKEN, (_m, i: string) => {
      const ref = refs[Number(i)]!;
      if (ref.literal !== undefined) return ref.literal;
      const v = env[ref.name!];
      if (v !== undefined && v !== '') return v;
      if (ref.fallback !== undefined) return ref.fallback;
      unset.push({ path: formatPath(path), variable: ref.name! });
      return '';
    });
  }
  if (Array.isArray(node)) return node.map((item, i) => interpolateTree(item, refs, env, unset, [...path, i]));
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = interpolateTree(v, refs, env, unset, [...path, k]);
    return out;
  }
  return node;
}

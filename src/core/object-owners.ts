/**
 * Which provider holds which object. Files, batches, uploads, vector stores, fine-tuning jobs and stored
 * completions live at the provider that created them; a request naming one must go there, not to
 * whichever provider comes first. The gateway learns owners from the answers it passes through.
 */

/** Most objects remembered per gateway; the least recently used is forgotten first. */
export const MAX_REMEMBERED_OBJECTS = 10_000;

/**
 * A bounded id -> provider map, least recently used first out (a Map keeps insertion order, so a
 * look-up re-inserts the entry at the end).
 *
 * @example
 * const owners = new ObjectOwners();
 * owners.remember('file-abc', 'openai-eu');
 * owners.ownerIn(['files', 'file-abc', 'content']); // { id: 'file-abc', provider: 'openai-eu' }
 */
export class ObjectOwners {
  private readonly owners = new Map<string, string>();

  constructor(private readonly max = MAX_REMEMBERED_OBJECTS) {}

  get size(): number {
    return this.owners.size;
  }

  remember(id: string, provider: string): void {
    this.owners.delete(id);
    this.owners.set(id, provider);
    if (this.owners.size > this.max) this.owners.delete(this.owners.keys().next().value!);
  }

  forget(id: string): void {
    this.owners.delete(id);
  }

  /** The provider holding `id`, if known. */
  ownerOf(id: string): string | undefined {
    const provider = this.owners.get(id);
    if (provider !== undefined) this.remember(id, provider);
    return provider;
  }

  /**
   * The first of these path segments whose owner is known, with its owner. The first wins: in
   * `vector_stores/vs_1/files/file-2` the store is the container that decides.
   */
  ownerIn(segments: readonly string[]): { id: string; provider: string } | undefined {
    for (const id of segments) {
      const provider = this.ownerOf(id);
      if (provider !== undefined) return { id, provider };
    }
    return undefined;
  }
}

// One memory per running gateway lineage: keyed by its state store, which survives config reloads.
const byStore = new WeakMap<object, ObjectOwners>();

/**
 * The owner memory that belongs to `key` (the gateway's state store), created on first use.
 *
 * @example
 * const owners = objectOwnersOf(gateway.store);
 */
export function objectOwnersOf(key: object): ObjectOwners {
  let owners = byStore.get(key);
  if (!owners) byStore.set(key, (owners = new ObjectOwners()));
  return owners;
}

/**
 * The decoded segments of a `/v1/...` path after `/v1/`, where object ids appear.
 *
 * @example
 * pathSegments('/v1/files/file-abc/content'); // ['files', 'file-abc', 'content']
 * pathSegments('/v1/models/ft%3Agpt-4o%3Aacme'); // ['models', 'ft:gpt-4o:acme']
 */
export function pathSegments(pathname: string): string[] {
  return pathname
    .split('/')
    .slice(2)
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s; // a stray `%`: kept as it came, it cannot match a remembered id anyway
      }
    });
}

/**
 * The top-level `id` of a JSON object answer, if it has one.
 *
 * @example
 * topLevelId(Buffer.from('{"id":"batch_1","object":"batch"}')); // 'batch_1'
 */
export function topLevelId(json: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(json.toString('utf8')) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const id = (parsed as { id?: unknown }).id;
    return typeof id === 'string' && id !== '' ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Stored responses (`store: true`, the default): each response with the input it was given (earlier
 * turns included), for `previous_response_id`, GET, DELETE and input_items. In process, bounded by
 * count, by size and by age (the oldest go first); with Redis, written through to it and read from it on
 * a local miss, so a follow-up may reach any instance (`SharedResponseStore`).
 */
import type { Gateway } from '../../gateway.js';
import type { SharedState } from '../../state/shared-state.js';
import type { Item, ResponseObject } from './wire.js';

/** A stored response and its whole input: the earlier turns, then the input of its own request. */
export interface StoredResponse {
  response: ResponseObject;
  input: readonly Item[];
}

export interface ResponseStoreOptions {
  /** How long a response is kept (ms). */
  ttlMs: number;
  maxEntries: number;
  /** About how many bytes of content the store may hold (request and answer sizes as received). */
  maxBytes: number;
  clock: () => number;
}

interface Entry {
  stored: StoredResponse;
  expires: number;
  bytes: number;
}

/** One hour, 10,000 responses, 64 MB: the defaults. */
export const STORE_DEFAULTS = { ttlMs: 60 * 60 * 1000, maxEntries: 10_000, maxBytes: 64 * 1024 * 1024 } as const;

/**
 * A bounded map of responses by id with a time to live. Items are shared between a response and the
 * ones that follow it (the same objects), so a long conversation costs its own content once.
 *
 * @example
 * const store = new ResponseStore({ ...STORE_DEFAULTS, clock: Date.now });
 * store.put({ response, input }, requestBytes + answerBytes);
 * store.get(response.id); // { response, input } for an hour
 */
export class ResponseStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(private readonly o: ResponseStoreOptions) {}

  /** Keeps a response; `bytes` is about what it holds (for the size bound). */
  put(stored: StoredResponse, bytes: number): void {
    this.delete(stored.response.id);
    this.entries.set(stored.response.id, { stored, expires: this.o.clock() + this.o.ttlMs, bytes });
    this.bytes += bytes;
    this.evict();
  }

  /** The response with this id, unless it expired or was deleted. */
  get(id: string): StoredResponse | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    if (e.expires <= this.o.clock()) {
      this.delete(id);
      return undefined;
    }
    return e.stored;
  }

  /** Forgets a response; false when there was none. */
  delete(id: string): boolean {
    const e = this.entries.get(id);
    if (!e) return false;
    this.entries.delete(id);
    this.bytes -= e.bytes;
    return true;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries and, past a bound, the oldest (a Map iterates in insertion order, oldest first). */
  private evict(): void {
    const now = this.o.clock();
    for (const [id, e] of this.entries) {
      const over = this.entries.size > this.o.maxEntries || this.bytes > this.o.maxBytes;
      if (!over && e.expires > now) break;
      this.delete(id);
    }
  }
}

/** What the door and routes use: the local store, with Redis behind it when configured. */
export interface ResponseKeeper {
  put(stored: StoredResponse, bytes: number): void;
  get(id: string): Promise<StoredResponse | undefined>;
  delete(id: string): Promise<boolean>;
}

/**
 * The local store written through to Redis (`switchyard:response:<id>`, JSON with the store's TTL), which
 * is read on every look-up (only requests that name a stored response pay that round trip), so that any
 * instance can continue a conversation or serve GET/DELETE. A Redis failure is reported and the local
 * copy keeps serving.
 *
 * @example
 * const keeper = new SharedResponseStore(local, shared.client, shared.keys, STORE_DEFAULTS.ttlMs, shared.onRedisError);
 * await keeper.get('resp_abc'); // from this instance, else from Redis
 */
export class SharedResponseStore implements ResponseKeeper {
  constructor(
    private readonly local: ResponseStore,
    private readonly client: SharedState['client'],
    private readonly keys: SharedState['keys'],
    private readonly ttlMs: number,
    private readonly onError: SharedState['onRedisError'],
  ) {}

  put(stored: StoredResponse, bytes: number): void {
    this.local.put(stored, bytes);
    this.client.set(this.keys.response(stored.response.id), JSON.stringify(stored), 'PX', this.ttlMs).catch((err: unknown) => this.onError('response store', err));
  }

  /** Redis is the truth (another instance may have deleted it); this instance's copy serves while Redis is down. */
  async get(id: string): Promise<StoredResponse | undefined> {
    try {
      const text = await this.client.get(this.keys.response(id));
      if (text === null) {
        this.local.delete(id);
        return undefined;
      }
      return this.local.get(id) ?? (JSON.parse(text) as StoredResponse);
    } catch (err) {
      this.onError('response store', err);
      return this.local.get(id);
    }
  }

  async delete(id: string): Promise<boolean> {
    const here = this.local.delete(id);
    try {
      return (await this.client.del(this.keys.response(id))) > 0 || here;
    } catch (err) {
      this.onError('response store', err);
      return here;
    }
  }
}

/** The local store alone (no Redis). */
class LocalResponseKeeper implements ResponseKeeper {
  constructor(private readonly local: ResponseStore) {}
  put(stored: StoredResponse, bytes: number): void {
    this.local.put(stored, bytes);
  }
  async get(id: string): Promise<StoredResponse | undefined> {
    return this.local.get(id);
  }
  async delete(id: string): Promise<boolean> {
    return this.local.delete(id);
  }
}

/** One store per running gateway lineage: keyed by what a reload carries over (its session table). */
const stores = new WeakMap<object, ResponseKeeper>();

/**
 * The response store of a gateway. A config reload keeps it: it is keyed by the gateway's session
 * affinity table, which a reload hands on to the new gateway.
 *
 * @example
 * const store = responseStoreOf(gateway);
 */
export function responseStoreOf(gateway: Gateway): ResponseKeeper {
  let store = stores.get(gateway.sessions);
  if (!store) {
    const ttlMs = gateway.config.responses.ttl_seconds * 1000;
    const local = new ResponseStore({ ...STORE_DEFAULTS, ttlMs, clock: gateway.clock });
    const shared = gateway.shared;
    store = shared ? new SharedResponseStore(local, shared.client, shared.keys, ttlMs, shared.onRedisError) : new LocalResponseKeeper(local);
    stores.set(gateway.sessions, store);
  }
  return store;
}

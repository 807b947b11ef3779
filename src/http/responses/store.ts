/**
 * Stored responses (`store: true`, the default): each response with the input it was given (earlier
 * turns included), in process, for `previous_response_id`, GET, DELETE and input_items. Bounded by
 * count, by size and by age; the oldest go first. Not shared between instances yet (Redis is a later
 * step): a follow-up must reach the instance that served the turn before.
 */
import type { Gateway } from '../../gateway.js';
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

/** One store per running gateway lineage: keyed by what a reload carries over (its session table). */
const stores = new WeakMap<object, ResponseStore>();

/**
 * The response store of a gateway. A config reload keeps it: it is keyed by the gateway's session
 * affinity table, which a reload hands on to the new gateway.
 *
 * @example
 * const store = responseStoreOf(gateway);
 */
export function responseStoreOf(gateway: Gateway): ResponseStore {
  let store = stores.get(gateway.sessions);
  if (!store) stores.set(gateway.sessions, (store = new ResponseStore({ ...STORE_DEFAULTS, clock: gateway.clock })));
  return store;
}

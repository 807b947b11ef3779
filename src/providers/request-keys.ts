/**
 * The keys one request may use with one provider: its key ring, and the caller's own key when the
 * provider's `client_keys` takes it. Built per request and provider by the attempt options.
 */
import type { KeyRing } from './key-ring.js';

/** `providers[].client_keys`. */
export type ClientKeysMode = 'passthrough' | 'fallback';

/**
 * Which key each attempt of one request sends to one provider. The rules:
 * - no `client_keys`: the ring's keys only; the caller's key is never sent.
 * - `passthrough`: the caller's key only (the planner skips the provider when the caller sent none).
 * - `fallback`: the ring's keys first; the caller's key when the ring has none, when all of them rest
 *   (refused or rate limited), or once a ring key was refused or rate limited in this request and no
 *   other ring key is left: then the same provider is tried once more with the caller's key.
 *
 * @example
 * const keys = new RequestKeys(runtime.keys, runtime.config.client_keys, callerKeys?.for(runtime.name));
 * const apiKey = keys.pick(Date.now());
 */
export class RequestKeys {
  private useCaller = false;

  constructor(
    private readonly ring: KeyRing,
    private readonly mode: ClientKeysMode | undefined,
    callerKey: string | undefined,
  ) {
    this.callerKey = mode ? callerKey : undefined;
  }

  /** The caller's key, when this provider takes it. */
  private readonly callerKey: string | undefined;

  /** Whether this provider can be tried for this request (`passthrough` needs the caller's key). */
  get usable(): boolean {
    return this.mode !== 'passthrough' || this.callerKey !== undefined;
  }

  /** The key for the next attempt; undefined when none is to be sent. */
  pick(now: number): string | undefined {
    if (this.callerKey !== undefined && (this.mode === 'passthrough' || this.useCaller || this.ring.size === 0 || this.ring.available(now) === 0)) {
      return this.callerKey;
    }
    return this.ring.pick(now);
  }

  /** Whether `key` is the caller's (its answers say nothing of the provider's own keys or limits). */
  isCallerKey(key: string | undefined): boolean {
    return key !== undefined && key === this.callerKey;
  }

  /** What the provider answered to `key`: a ring key's rest is the ring's business; the caller's is not. */
  report(key: string | undefined, status: number, now: number, retryAfterMs?: number): void {
    if (!this.isCallerKey(key)) this.ring.report(key, status, now, retryAfterMs);
  }

  /**
   * After `key` was refused or rate limited on the `tried`-th try of this provider: whether to try the
   * same provider again at once (another ring key, or, in `fallback`, the caller's key once).
   */
  retryWithAnother(key: string | undefined, tried: number, now: number): boolean {
    if (this.isCallerKey(key)) return false;
    if (tried < this.ring.size && this.ring.hasAlternative(key, now)) return true;
    if (this.mode === 'fallback' && this.callerKey !== undefined && !this.useCaller) {
      this.useCaller = true;
      return true;
    }
    return false;
  }
}

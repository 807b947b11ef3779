import { REDACTED, secretPattern } from './secret-pattern.js';

/**
 * A provider's API keys, used round-robin. A key the provider refuses (401/403) rests for a long
 * while; a key that gets repeated 429s rests for a short while; the next key takes over. Keys never
 * leave this object except into the upstream Authorization header (and `redact`, which removes them).
 */
export class KeyRing {
  private next = 0;
  private readonly restUntil: number[];
  private readonly rateLimited: number[];
  private readonly pattern: RegExp | undefined;

  static readonly REFUSED_REST_MS = 5 * 60_000;
  static readonly RATE_LIMIT_REST_MS = 30_000;
  /** Consecutive 429s that rest a key. */
  static readonly RATE_LIMIT_STRIKES = 2;

  constructor(readonly keys: readonly string[]) {
    this.pattern = secretPattern(keys);
    this.restUntil = keys.map(() => 0);
    this.rateLimited = keys.map(() => 0);
  }

  get size(): number {
    return this.keys.length;
  }

  /** The key for the next request; when every key rests, the one whose rest ends first. */
  pick(now: number): string | undefined {
    const n = this.keys.length;
    if (n === 0) return undefined;
    for (let i = 0; i < n; i++) {
      const k = (this.next + i) % n;
      if ((this.restUntil[k] ?? 0) <= now) {
        this.next = (k + 1) % n;
        return this.keys[k];
      }
    }
    let soonest = 0;
    for (let k = 1; k < n; k++) if ((this.restUntil[k] ?? 0) < (this.restUntil[soonest] ?? 0)) soonest = k;
    return this.keys[soonest];
  }

  /** What the provider answered to a request made with `key`. */
  report(key: string | undefined, status: number, now: number, retryAfterMs?: number): void {
    const k = key === undefined ? -1 : this.keys.indexOf(key);
    if (k < 0) return;
    if (status === 401 || status === 403) {
      this.restUntil[k] = now + KeyRing.REFUSED_REST_MS;
    } else if (status === 429) {
      const strikes = (this.rateLimited[k] ?? 0) + 1;
      this.rateLimited[k] = strikes;
      if (strikes >= KeyRing.RATE_LIMIT_STRIKES) {
        this.restUntil[k] = now + Math.max(retryAfterMs ?? 0, KeyRing.RATE_LIMIT_REST_MS);
        this.rateLimited[k] = 0;
      }
    } else if (status < 400) {
      this.rateLimited[k] = 0;
    }
  }

  /** Whether another key than `key` could be used now. */
  hasAlternative(key: string | undefined, now: number): boolean {
    return this.keys.some((k, i) => k !== key && (this.restUntil[i] ?? 0) <= now);
  }

  /** How many keys are usable now (for /health). */
  available(now: number): number {
    return this.restUntil.filter((t) => t <= now).length;
  }

  /** The text with every key replaced, in every encoding an echo may use (see `secretPattern`). */
  redact(text: string): string {
    if (!this.pattern) return text;
    this.pattern.lastIndex = 0;
    return text.replace(this.pattern, REDACTED);
  }
}

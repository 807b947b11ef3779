import { createHash, timingSafeEqual } from 'node:crypto';
import type { ClientKeyConfig } from '../config/schema.js';
import { modelMatcher } from '../providers/presets.js';

/** What one client key may do; `name` stands for the key wherever it is shown (logs, metrics, /usage). */
export interface KeyPolicy {
  name: string;
  /** Whether the key may ask for a model (a name, or an alias name); always true without `models`. */
  allows(model: string): boolean;
  /** The allow-list as configured, for /admin/keys. */
  models?: readonly string[];
  rateLimits?: { requestsPerMinute?: number; tokensPerMinute?: number };
  budget?: { usdPerDay?: number; usdPerMonth?: number };
}

/** Who a request comes from: the identity limits and idempotency are scoped by, and its key's policy. */
export interface Caller {
  /** `name-<name>` for a named key, `key-<digest>` for a plain one, `ip-<address>` without client keys. */
  id: string;
  /** Set when the caller presented a configured client key. */
  policy?: KeyPolicy;
}

interface Entry {
  digest: Buffer;
  policy: KeyPolicy;
  /** Configured as an object with a name (a plain string key is known by its digest). */
  named: boolean;
}

/** The identity limits are counted under for a named key. */
export const namedCallerId = (name: string): string => `name-${name}`;

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * The configured client keys (`auth.keys`), each with its policy. Keys are kept as SHA-256 digests and
 * a presented key is compared with every one in constant time, so the time taken tells nothing of which
 * key matched, or how closely.
 *
 * @example
 * const book = new KeyBook(['k1', { key: 'k2', name: 'team-a', models: ['gpt-4o-mini'] }]);
 * book.find('k2')?.policy.name;            // 'team-a'
 * book.find('k2')?.policy.allows('gpt-4o'); // false
 */
export class KeyBook {
  private readonly entries: Entry[];

  constructor(keys: ReadonlyArray<string | ClientKeyConfig> = []) {
    this.entries = keys.map((k) => (typeof k === 'string' ? plainEntry(k) : namedEntry(k)));
  }

  /** Whether client keys are configured at all (else every caller is admitted, known by its address). */
  get size(): number {
    return this.entries.length;
  }

  /** Every named policy (one per name), for /admin/keys. */
  policies(): KeyPolicy[] {
    return this.entries.filter((e) => e.named).map((e) => e.policy);
  }

  /** The caller a presented key (without `Bearer `) belongs to, or undefined when it is none of them. */
  find(presented: string): Caller | undefined {
    const d = digest(presented);
    let found: Entry | undefined;
    for (const e of this.entries) if (timingSafeEqual(d, e.digest) && !found) found = e;
    if (!found) return undefined;
    return { id: found.named ? namedCallerId(found.policy.name) : found.policy.name, policy: found.policy };
  }
}

function plainEntry(key: string): Entry {
  const d = digest(key);
  return { digest: d, policy: { name: `key-${d.toString('base64url').slice(0, 16)}`, allows: () => true }, named: false };
}

function namedEntry(k: ClientKeyConfig): Entry {
  const policy: KeyPolicy = { name: k.name, allows: k.models ? modelMatcher(k.models) : () => true };
  if (k.models) policy.models = k.models;
  const r = k.rate_limits;
  if (r) policy.rateLimits = { ...(r.requests_per_minute ? { requestsPerMinute: r.requests_per_minute } : {}), ...(r.tokens_per_minute ? { tokensPerMinute: r.tokens_per_minute } : {}) };
  const b = k.budget;
  if (b) policy.budget = { ...(b.usd_per_day ? { usdPerDay: b.usd_per_day } : {}), ...(b.usd_per_month ? { usdPerMonth: b.usd_per_month } : {}) };
  return { digest: digest(k.key), policy, named: true };
}

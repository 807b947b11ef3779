/**
 * Every Redis key switchyard uses (README documents them). Per-provider keys carry the provider in a
 * hash tag ({name}) so that a breaker and its probe lease live in one Cluster slot.
 */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  /**
   * Hash: state, failures (consecutive, fleet-wide, counted by every instance's failures while closed),
   * openedAt, origin (instance id), at (ms of the last transition).
   */
  breaker(provider: string): string {
    return `${this.prefix}breaker:{${provider}}`;
  }
  /** String with PX: the instance granted the half-open probe. */
  probe(provider: string): string {
    return `${this.prefix}probe:{${provider}}`;
  }
  /** Pub/sub channel of breaker transitions. */
  get breakerChannel(): string {
    return `${this.prefix}breaker-events`;
  }
  /** Hash: requests, successes, failures, rejected, prompt_tokens, completion_tokens, cost_usd (since the start of time). */
  stats(provider: string): string {
    return `${this.prefix}stats:{${provider}}`;
  }
  /** Hash bucket -> count: one latency histogram slice (kind: latency | ttft), expiring after the window. */
  latency(provider: string, model: string, kind: 'latency' | 'ttft', sliceStart: number): string {
    return `${this.prefix}latency:{${provider}}:${kind}:${sliceStart}:${model}`;
  }
  /** Set of the models a provider has latency slices for. */
  latencyModels(provider: string): string {
    return `${this.prefix}latency-models:{${provider}}`;
  }
  /** Hash `provider|model|field` -> number, fields requests, prompt_tokens, completion_tokens, cost_usd. */
  usage(day: string): string {
    return `${this.prefix}usage:${day}`;
  }
  /** Set of days that have usage. */
  get usageDays(): string {
    return `${this.prefix}usage-days`;
  }
  /** Hash `provider/model` -> JSON {"input": usd, "output": usd} per million tokens. */
  get pricing(): string {
    return `${this.prefix}pricing`;
  }
  /** Hash `<slice ms>:r|t` -> requests / tokens of one caller (a key's name or digest, or an address). */
  rateLimit(client: string): string {
    return `${this.prefix}ratelimit:{${client}}`;
  }
  /** Hash `d:<YYYY-MM-DD>` / `m:<YYYY-MM>` -> micro-dollars spent by one client key name. */
  budget(name: string): string {
    return `${this.prefix}budget:{${name}}`;
  }
  /** Sorted set `<hold id>:<micro-dollars>` scored by expiry: the key's requests in flight, reserved. */
  budgetHolds(name: string): string {
    return `${this.prefix}budget-holds:{${name}}`;
  }
  /** Idempotency record (JSON) of one client's key, and its lock. */
  idempotency(client: string, key: string): string {
    return `${this.prefix}idempotency:{${client}}:${key}`;
  }
  idempotencyLock(client: string, key: string): string {
    return `${this.prefix}idempotency-lock:{${client}}:${key}`;
  }
  /** A stored Responses API response with its input (JSON, with PX: the store's TTL). */
  response(id: string): string {
    return `${this.prefix}response:${id}`;
  }
  /** String with PX (the session TTL): the provider a session (x-switchyard-session) is pinned to. */
  session(id: string): string {
    return `${this.prefix}session:${id}`;
  }
  /** String: the fleet's active mode (empty: none), set by POST /admin/mode. */
  get mode(): string {
    return `${this.prefix}mode`;
  }
  /** Pub/sub channel announcing mode switches. */
  get modeChannel(): string {
    return `${this.prefix}mode-events`;
  }
  /** Sorted set instance id -> last flush (ms). */
  get instances(): string {
    return `${this.prefix}instances`;
  }
}

import type { ProviderConfig } from '../config/schema.js';
import type { CallerKeys } from '../providers/caller-keys.js';
import type { UpstreamAgents } from '../providers/http-client.js';
import type { KeyRing } from '../providers/key-ring.js';
import { RequestKeys } from '../providers/request-keys.js';
import type { Endpoint, ProviderAdapter } from '../providers/types.js';
import type { Breakers } from '../routing/breakers.js';
import type { CircuitState } from '../routing/circuit-breaker.js';
import type { ProviderStats } from '../telemetry/stats.js';

/**
 * Everything one provider is while a config is live: its config, the adapter that speaks its protocol,
 * its key ring, and views of its breaker and measurements (which outlive reloads, in the shared state).
 *
 * @example
 * const p = gateway.providers.get('openai');
 * if (p && p.serves('chat/completions') && p.breakerState() !== 'open') p.adapter.send(call);
 */
export class ProviderRuntime {
  constructor(
    readonly config: ProviderConfig,
    readonly adapter: ProviderAdapter,
    /** Its pooled connections (its TLS settings included), for requests beside the adapter's (the pass-through). */
    readonly agents: UpstreamAgents,
    readonly keys: KeyRing,
    private readonly breakers: Breakers,
    private readonly measurements: ReadonlyMap<string, ProviderStats>,
  ) {
    this.ringKeys = new RequestKeys(keys, undefined, undefined);
  }

  /** Its own keys as a request picks them when it takes no caller's key: stateless, so one serves every request. */
  readonly ringKeys: RequestKeys;

  /**
   * The keys one request may send it: its ring's, and the caller's own key when its `client_keys` takes
   * one (made per request then; without `client_keys`, the stateless `ringKeys`).
   *
   * @example
   * const keys = runtime.keysFor(callerKeys);
   * if (!keys.usable) skip(); // passthrough without the caller's key
   * const apiKey = keys.pick(Date.now());
   */
  keysFor(callerKeys: CallerKeys | undefined): RequestKeys {
    return this.config.client_keys ? new RequestKeys(this.keys, this.config.client_keys, callerKeys?.for(this.name)) : this.ringKeys;
  }

  /**
   * `text` with its keys removed, and the caller's own keys too: what one request may show or log of
   * this provider's answers.
   *
   * @example
   * runtime.redact(upstreamErrorMessage, callerKeys);
   */
  redact(text: string, callerKeys: CallerKeys | undefined): string {
    const own = this.keys.redact(text);
    return callerKeys ? callerKeys.redact(own) : own;
  }

  /** Requests in flight to it from this instance (a stream until it ends). */
  inFlight = 0;

  get name(): string {
    return this.config.name;
  }

  /** Whether `max_connections` leaves room for one more request now. */
  hasRoom(): boolean {
    return this.config.max_connections === undefined || this.inFlight < this.config.max_connections;
  }

  /** Whether its adapter can take this kind of request at all. */
  serves(endpoint: Endpoint): boolean {
    return this.adapter.endpoints.has(endpoint);
  }

  breakerState(): CircuitState {
    return this.breakers.state(this.config.name);
  }

  /** This instance's measurements of it (created when the provider was first configured). */
  get stats(): ProviderStats | undefined {
    return this.measurements.get(this.config.name);
  }
}

/** Looks a provider's config up by name (what the pure planning functions need of a provider). */
export interface ProviderLookup {
  get(name: string): ProviderConfig | undefined;
}

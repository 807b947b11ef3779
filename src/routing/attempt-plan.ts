import type { Gateway } from '../gateway.js';
import type { Endpoint } from '../providers/types.js';
import type { LoopOptions } from './attempt-loop.js';
import type { Cancel } from './cancel.js';
import { capabilitiesOf } from './capabilities.js';
import type { Candidate } from './strategy.js';
import { attemptUpstream, type Served } from './upstream-attempt.js';

export interface RequestToServe {
  endpoint: Endpoint;
  requestId: string;
  /** The validated body, and the bytes it came from (sent as they are when the model is unchanged). */
  body: Record<string, unknown>;
  raw: Buffer;
  model: string;
  stream: boolean;
}

/**
 * How one request's attempts run against this gateway: per-provider timeouts and deadline, the key
 * ring of each provider (a refused or rate-limited key hands over to the next one at once), rate-limit
 * tracking, context windows, and the measurements every settled attempt feeds.
 */
export function attemptPlan(gateway: Gateway, r: RequestToServe, candidates: readonly Candidate[], clientGone: Cancel): LoopOptions<Served> {
  const routing = gateway.config.routing;
  const keysTried = new Map<string, number>();
  const lastKey = new Map<string, string | undefined>();
  return {
    candidates,
    breakers: gateway.breakers,
    deadline: Date.now() + routing.request_timeout_ms,
    maxAttempts: routing.max_attempts ?? candidates.length * 2,
    maxRetryAfterMs: routing.max_retry_after_ms,
    signal: clientGone,
    timeoutMs: (c) => gateway.providers.get(c.provider)!.timeout_ms,
    retrySameProvider: (c, f) => {
      if (f.kind !== 'status' || (f.status !== 401 && f.status !== 403 && f.status !== 429)) return false;
      const tried = (keysTried.get(c.provider) ?? 0) + 1;
      keysTried.set(c.provider, tried);
      const ring = gateway.keyRings.get(c.provider)!;
      return tried < ring.size && ring.hasAlternative(lastKey.get(c.provider), gateway.clock());
    },
    contextWindow: (c) => capabilitiesOf(gateway.providers.get(c.provider)!, c.model).context_window,
    attempt: (c, cancel) => {
      const ring = gateway.keyRings.get(c.provider)!;
      const rate = gateway.measurements.local.get(c.provider)?.rate;
      const apiKey = ring.pick(gateway.clock());
      lastKey.set(c.provider, apiKey);
      rate?.recordRequest(gateway.clock());
      return attemptUpstream(
        gateway.adapters.get(c.provider)!,
        {
          endpoint: r.endpoint,
          ...(c.model === r.model ? { body: r.body, raw: r.raw } : { body: { ...r.body, model: c.model } }),
          stream: r.stream,
          requestId: r.requestId,
          cancel,
          idleTimeoutMs: gateway.providers.get(c.provider)!.timeout_ms,
          apiKey,
        },
        {
          onResponse: (status, headers, retryAfterMs) => {
            rate?.recordHeaders(headers, gateway.clock());
            ring.report(apiKey, status, gateway.clock(), retryAfterMs);
          },
          redact: (text) => ring.redact(text),
        },
      );
    },
    onAttempt: (c, outcome, ms, failedOver) => {
      gateway.measurements.recordAttempt(c.provider, c.model, outcome, ms, gateway.clock());
      gateway.metrics.recordAttempt(c.provider, outcome, ms, failedOver);
    },
  };
}

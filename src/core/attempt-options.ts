import type { Config } from '../config/schema.js';
import type { Gateway } from '../gateway.js';
import { onBodyDone } from '../providers/body-readers.js';
import type { CallerKeys } from '../providers/caller-keys.js';
import type { RequestKeys } from '../providers/request-keys.js';
import type { NativeCall, UpstreamCall, UpstreamResponse } from '../providers/types.js';
import type { AttemptOutcome, AttemptResult, LoopOptions } from '../routing/attempt-loop.js';
import type { Breakers } from '../routing/breakers.js';
import type { Cancel } from '../routing/cancel.js';
import { capabilitiesOf } from '../routing/capabilities.js';
import type { UpstreamFailure } from '../routing/classify.js';
import type { LoopHedge } from '../routing/hedge.js';
import type { Candidate } from '../routing/strategy.js';
import { attemptUpstream, nativeRules, openAIRules, type Served } from '../routing/upstream-attempt.js';
import { blameCallerKey } from './caller-key-failure.js';
import type { ProviderRuntime } from './provider-runtime.js';
import type { CoreRequest } from './request.js';

/**
 * How one request's attempts run against this gateway's providers: per-provider timeouts and the
 * request deadline, each provider's key ring (a refused or rate-limited key hands over to the next one
 * at once), rate-limit tracking, context windows, and the measurements every settled attempt feeds.
 *
 * `callerKeys`: the caller's own vendor keys, sent only to providers whose `client_keys` takes them.
 *
 * @example
 * const result = await runAttempts(attemptOptions(gateway, request, 'req_1', plan.candidates, signal));
 */
export function attemptOptions(
  gateway: Gateway,
  r: CoreRequest,
  requestId: string,
  candidates: readonly Candidate[],
  signal: Cancel,
  routing: Config['routing'],
  callerKeys?: CallerKeys,
): LoopOptions<Served> {
  return new GatewayAttempts(gateway, r, requestId, candidates, signal, routing, callerKeys);
}

/**
 * The attempt loop's options for one request, as a class: its callbacks are methods rather than the
 * closures an options literal would make on every request.
 */
class GatewayAttempts implements LoopOptions<Served> {
  readonly breakers: Breakers;
  readonly deadline: number;
  readonly maxAttempts: number;
  readonly maxRetryAfterMs: number;
  hedge?: LoopHedge;
  /** Made when first needed: most requests make one attempt and never retry a provider. */
  private keysTried: Map<string, number> | undefined;
  /** The key of the last attempt: a retry on the same provider is decided right after that attempt. */
  private lastKey: { provider: string; key: string | undefined } | undefined;
  private requestKeys: Map<string, RequestKeys> | undefined;
  readonly onAttempt: LoopOptions<Served>['onAttempt'];

  constructor(
    private readonly gateway: Gateway,
    private readonly r: CoreRequest,
    private readonly requestId: string,
    readonly candidates: readonly Candidate[],
    readonly signal: Cancel,
    routing: Config['routing'],
    private readonly callerKeys: CallerKeys | undefined,
  ) {
    this.breakers = gateway.breakers;
    this.deadline = Date.now() + routing.request_timeout_ms;
    this.maxAttempts = routing.max_attempts ?? candidates.length * 2;
    this.maxRetryAfterMs = routing.max_retry_after_ms;
    this.onAttempt = attemptRecorder(gateway);
  }

  timeoutMs(c: Candidate): number {
    return this.provider(c).config.timeout_ms;
  }

  retrySameProvider(c: Candidate, f: UpstreamFailure): boolean {
    if (f.kind !== 'status' || (f.status !== 401 && f.status !== 403 && f.status !== 429)) return false;
    const tried = (this.keysTried?.get(c.provider) ?? 0) + 1;
    (this.keysTried ??= new Map()).set(c.provider, tried);
    const last = this.lastKey;
    return this.keysOf(c).retryWithAnother(last?.provider === c.provider ? last.key : undefined, tried, this.gateway.clock());
  }

  contextWindow(c: Candidate): number | undefined {
    return capabilitiesOf(this.provider(c).config, c.model).context_window;
  }

  attempt(c: Candidate, cancel: Cancel): Promise<AttemptResult<Served>> {
    const { gateway, r, requestId, callerKeys } = this;
    const p = this.provider(c);
    if (!p.hasRoom()) {
      gateway.metrics.upstreamSaturated.labels(p.name).inc();
      const failure = { kind: 'saturated' as const, detail: `${p.name} is at its max_connections (${p.config.max_connections}) on this instance` };
      return Promise.resolve({ kind: 'failure' as const, failure });
    }
    const rate = p.stats?.rate;
    const keys = this.keysOf(c);
    const apiKey = keys.pick(gateway.clock());
    const callers = keys.isCallerKey(apiKey);
    this.lastKey = { provider: c.provider, key: apiKey };
    rate?.recordRequest(gateway.clock());
    const hooks = {
      onResponse: (status: number, headers: Record<string, string | string[] | undefined>, retryAfterMs: number | undefined) => {
        // The caller's key has its own limits: its headers say nothing of the provider's budget.
        if (!callers) rate?.recordHeaders(headers, gateway.clock());
        keys.report(apiKey, status, gateway.clock(), retryAfterMs);
      },
      redact: (text: string) => p.redact(text, callerKeys),
    };
    const same = c.model === r.model;
    // A whole answer is read within the attempt's deadline; only a stream needs the socket's idle timer.
    const idleTimeoutMs = r.stream ? p.config.timeout_ms : 0;
    // A provider that speaks the caller's own protocol gets the caller's bytes; every other one the pivot.
    const native = r.native && p.adapter.sendNative && p.adapter.nativeProtocols?.has(r.native.protocol) ? r.native : undefined;
    if (native && p.adapter.sendNative) {
      const body = same ? native.body : Object.assign({}, native.body, { model: c.model });
      const nativeCall: NativeCall = { stream: r.stream, requestId, cancel, idleTimeoutMs, apiKey, protocol: native.protocol, body, headers: native.headers };
      if (same) nativeCall.raw = native.raw;
      const sent = holding(p, p.adapter.sendNative(nativeCall));
      return blameCallerKey(attemptUpstream(sent, r.stream, hooks, nativeRules(native.protocol)), callers);
    }
    // Built field by field: nested conditional spreads cost an object each on every attempt.
    const call: UpstreamCall = { stream: r.stream, requestId, cancel, idleTimeoutMs, apiKey, endpoint: r.endpoint, body: same ? r.body : Object.assign({}, r.body, { model: c.model }) };
    if (same && r.raw) call.raw = r.raw;
    return blameCallerKey(attemptUpstream(holding(p, p.adapter.send(call)), r.stream, hooks, openAIRules(call)), callers);
  }

  discard(served: Served): void {
    if (served.kind === 'stream') served.stream.destroy();
  }

  private provider(c: Candidate): ProviderRuntime {
    const p = this.gateway.providers.get(c.provider);
    // Candidates come from this gateway's own providers: a miss is a bug, not a request to route around.
    if (!p) throw new Error(`candidate names unknown provider "${c.provider}"`);
    return p;
  }

  private keysOf(c: Candidate): RequestKeys | ProviderRuntime['ringKeys'] {
    const p = this.provider(c);
    // Without client_keys the provider's own (stateless) picker serves; with them, one per request.
    if (!p.config.client_keys) return p.ringKeys;
    let k = this.requestKeys?.get(c.provider);
    if (!k) {
      k = p.keysFor(this.callerKeys);
      (this.requestKeys ??= new Map()).set(c.provider, k);
    }
    return k;
  }
}

const recorders = new WeakMap<Gateway, LoopOptions<Served>['onAttempt']>();

/**
 * The gateway's telemetry for a settled attempt, one function per gateway: a served stream keeps it for
 * its life, so it must not keep the request's options (and with them the caller's request).
 */
function attemptRecorder(gateway: Gateway): LoopOptions<Served>['onAttempt'] {
  let record = recorders.get(gateway);
  if (!record) {
    record = (c: Candidate, outcome: AttemptOutcome, ms: number, failedOver: boolean) => {
      gateway.measurements.recordAttempt(c.provider, c.model, outcome, ms, gateway.clock());
      gateway.metrics.recordAttempt(c.provider, outcome, ms, failedOver);
    };
    recorders.set(gateway, record);
  }
  return record;
}

/** Counts a request against its provider's `max_connections` until its answer's body is done with. */
function holding(p: ProviderRuntime, sent: Promise<UpstreamResponse>): Promise<UpstreamResponse> {
  p.inFlight += 1;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    p.inFlight -= 1;
  };
  return sent.then(
    (res) => {
      onBodyDone(res.body, release);
      return res;
    },
    (err: unknown) => {
      release();
      throw err;
    },
  );
}

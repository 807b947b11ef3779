import type { LoopOptions } from '../routing/attempt-loop.js';
import { HEDGE_LOST } from '../routing/attempt-race.js';
import type { CircuitState } from '../routing/circuit-breaker.js';
import { describeFailure, failureFromError } from '../routing/classify.js';
import type { Served } from '../routing/upstream-attempt.js';
import type { Usage } from '../telemetry/usage.js';

/** A provider was chosen for a request: the first one its attempts go to. */
export interface RouteEvent {
  requestId: string;
  provider: string;
  model: string;
  strategy: string;
}

/** A request left a provider that failed: `to` is the next one tried, absent when none was left. */
export interface FailoverEvent {
  requestId: string;
  from: string;
  to?: string;
  reason: string;
}

/** A provider's circuit breaker changed state (locally, or as published by another instance). */
export interface BreakerEvent {
  provider: string;
  from: CircuitState;
  to: CircuitState;
}

/** A request was answered (a stream: when it ended whole). `costUsd` is 0 without usage or price. */
export interface SuccessEvent {
  requestId: string;
  provider: string;
  model: string;
  latencyMs: number;
  usage?: Usage;
  costUsd: number;
}

/** An attempt failed (failed over or passed back), or a served stream broke. */
export interface FailureEvent {
  requestId: string;
  provider: string;
  model: string;
  reason: string;
}

/** Every event the gateway emits, by name. */
export interface GatewayEventMap {
  route: RouteEvent;
  failover: FailoverEvent;
  breaker: BreakerEvent;
  success: SuccessEvent;
  failure: FailureEvent;
}

export type GatewayEventName = keyof GatewayEventMap;
export type GatewayListener<K extends GatewayEventName> = (event: GatewayEventMap[K]) => void;

type Listeners = { [K in GatewayEventName]: Array<GatewayListener<K>> };

/**
 * The gateway's typed event bus, shared by the HTTP gateway and the library. Emitting costs nothing
 * when nobody listens: call sites check `listens` before building an event. A listener that throws
 * is reported to `onListenerError` and never reaches the request path.
 *
 * @example
 * gateway.events.on('failover', (e) => console.log(`${e.from} -> ${e.to ?? 'nothing left'}: ${e.reason}`));
 */
export class GatewayEvents {
  private readonly listeners: Listeners = { route: [], failover: [], breaker: [], success: [], failure: [] };

  constructor(private readonly onListenerError: (err: unknown, event: GatewayEventName) => void = () => {}) {}

  on<K extends GatewayEventName>(name: K, listener: GatewayListener<K>): this {
    (this.listeners[name] as Array<GatewayListener<K>>).push(listener);
    return this;
  }

  off<K extends GatewayEventName>(name: K, listener: GatewayListener<K>): this {
    const list = this.listeners[name] as Array<GatewayListener<K>>;
    const i = list.indexOf(listener);
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  /** Whether anyone listens to `name`: check it before building an event. */
  listens(name: GatewayEventName): boolean {
    return this.listeners[name].length > 0;
  }

  emit<K extends GatewayEventName>(name: K, event: GatewayEventMap[K]): void {
    const list = this.listeners[name] as Array<GatewayListener<K>>;
    if (list.length === 0) return;
    for (const listener of [...list]) {
      try {
        listener(event);
      } catch (err) {
        this.onListenerError(err, name);
      }
    }
  }
}

/** The attempt loop's options, observed; `end` once the loop has returned. */
export interface ObservedAttempts {
  options: LoopOptions<Served>;
  /** A failover still pending when the loop ended had nowhere left to go: it is emitted without `to`. */
  end(): void;
}

const NOTHING_TO_END = () => {};

/**
 * The attempt loop's options with `route`, `failure` and `failover` emitted as attempts go; `options`
 * itself (nothing wrapped) when nobody listens to any of them.
 *
 * @example
 * const observed = observeAttempts(gateway.events, requestId, plan.strategy, attemptOptions(...));
 * const result = await runAttempts(observed.options);
 * observed.end();
 */
export function observeAttempts(events: GatewayEvents, requestId: string, strategy: string, options: LoopOptions<Served>): ObservedAttempts {
  if (!events.listens('route') && !events.listens('failure') && !events.listens('failover')) return { options, end: NOTHING_TO_END };
  // Let go of at `end`: a served stream keeps `onAttempt` for its life, and with it this scope, and the
  // options hold the caller's whole request.
  let inner: LoopOptions<Served> | undefined = options;
  const record = options.onAttempt;
  let routed = false;
  let pending: { from: string; reason: string } | undefined;
  const failover = (to?: string) => {
    if (!pending) return;
    events.emit('failover', { requestId, ...pending, ...(to !== undefined ? { to } : {}) });
    pending = undefined;
  };
  const watched: Pick<LoopOptions<Served>, 'attempt' | 'onAttempt'> = {
    attempt: async (c, cancel) => {
      const o = inner!;
      if (!routed) {
        routed = true;
        events.emit('route', { requestId, provider: c.provider, model: c.model, strategy });
      }
      failover(c.provider);
      const failed = (reason: string) => {
        // A caller gone, or a hedge's loser closed, says nothing of the provider: no failure, no failover.
        if (o.signal.aborted || cancel.reason === HEDGE_LOST) return;
        events.emit('failure', { requestId, provider: c.provider, model: c.model, reason });
        pending = { from: c.provider, reason };
      };
      try {
        const result = await o.attempt(c, cancel);
        if (result.kind === 'failure') failed(describeFailure(result.failure));
        return result;
      } catch (err) {
        // The loop turns a throw into a failure the same way: its own timer, else a network error.
        failed(cancel.aborted ? 'timed out: no answer within the attempt budget' : describeFailure(failureFromError(err)));
        throw err;
      }
    },
    onAttempt: (c, outcome, ms, failedOver) => {
      record(c, outcome, ms, failedOver);
      // A failure the loop does not fail over (passed back to the caller) is no failover.
      if (outcome === 'rejected') pending = undefined;
    },
  };
  // The options as the prototype, two members of its own: every other member (fields, and methods of an
  // options class, which a copy of own properties would miss) is the options' own, with `this` intact.
  const observed: LoopOptions<Served> = Object.assign(Object.create(options) as LoopOptions<Served>, watched);
  return {
    options: observed,
    end: () => {
      const aborted = inner?.signal.aborted;
      inner = undefined;
      if (!aborted) failover();
    },
  };
}

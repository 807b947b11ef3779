import { Counter, type Registry } from 'prom-client';
import type { EVENT_TYPES, EventsConfig, WebhookConfig } from '../config/schema.js';
import type { Logger } from '../telemetry/logger.js';
import type { GatewayEventMap, GatewayEventName, GatewayEvents, GatewayListener } from './events.js';

/** The config's list of event types and the bus's names are the same set (checked at compile time). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const SAME_NAMES: Same<(typeof EVENT_TYPES)[number], GatewayEventName> = true;
const ALL_TYPES: readonly GatewayEventName[] = ['route', 'failover', 'breaker', 'success', 'failure'];

/** What operators alert on: a webhook without `types` gets these. */
export const DEFAULT_WEBHOOK_TYPES: readonly GatewayEventName[] = SAME_NAMES ? ['failover', 'breaker'] : [];

/** An event as delivered (webhooks and `GET /admin/events`): its type, when, and its fields. */
export type EventPayload<K extends GatewayEventName = GatewayEventName> = K extends GatewayEventName ? { type: K; at: string } & GatewayEventMap[K] : never;

/**
 * The event as JSON-ready data: `{type, at, ...fields}`.
 *
 * @example
 * eventPayload('breaker', { provider: 'openai', from: 'closed', to: 'open' }, new Date(0));
 * // { type: 'breaker', at: '1970-01-01T00:00:00.000Z', provider: 'openai', from: 'closed', to: 'open' }
 */
export function eventPayload<K extends GatewayEventName>(type: K, event: GatewayEventMap[K], at: Date = new Date()): EventPayload<K> {
  const payload: { type: K; at: string } & GatewayEventMap[K] = { type, at: at.toISOString(), ...event };
  // The distributive type is what `payload` is for the one K it was built for.
  return payload as unknown as EventPayload<K>;
}

/**
 * One line a human reads (a Slack message's `text`).
 *
 * @example
 * eventText({ type: 'breaker', at: '…', provider: 'openai', from: 'closed', to: 'open' });
 * // 'switchyard: breaker for openai closed -> open'
 */
export function eventText(p: EventPayload): string {
  switch (p.type) {
    case 'route':
      return `switchyard: request ${p.requestId} routed to ${p.provider} (${p.model}, ${p.strategy})`;
    case 'failover':
      return `switchyard: failover from ${p.from} ${p.to !== undefined ? `to ${p.to}` : 'with no provider left'} (${p.reason})`;
    case 'breaker':
      return `switchyard: breaker for ${p.provider} ${p.from} -> ${p.to}`;
    case 'success':
      return `switchyard: request ${p.requestId} served by ${p.provider} (${p.model}) in ${Math.round(p.latencyMs)} ms`;
    case 'failure':
      return `switchyard: request ${p.requestId} failed at ${p.provider} (${p.model}): ${p.reason}`;
  }
}

/** Which of `ALL_TYPES` a comma-separated list names; `undefined` when it names an unknown one. */
export function parseEventTypes(list: string): GatewayEventName[] | undefined {
  const names = list
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (!names.every((t): t is GatewayEventName => (ALL_TYPES as readonly string[]).includes(t))) return undefined;
  return names.length > 0 ? names : [...ALL_TYPES];
}

/** Subscribes `listener` to each of `types`; returns the unsubscribe. */
export function subscribe(events: GatewayEvents, types: readonly GatewayEventName[], listener: (p: EventPayload) => void): () => void {
  const subs = types.map(<K extends GatewayEventName>(type: K) => {
    const l: GatewayListener<K> = (e) => listener(eventPayload(type, e) as EventPayload);
    events.on(type, l);
    return () => events.off(type, l);
  });
  return () => {
    for (const off of subs) off();
  };
}

type Result = 'success' | 'failure' | 'rejected';

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  const existing = registry.getSingleMetric(name);
  return existing instanceof Counter ? existing : new Counter({ name, help, labelNames, registers: [registry] });
}

/** One webhook's bounded queue and its single worker (deliveries to one URL stay in order). */
class Target {
  private readonly queue: string[] = [];
  private running = false;
  readonly host: string;

  constructor(
    readonly config: WebhookConfig,
    private readonly sender: WebhookSender,
  ) {
    this.host = new URL(config.url).host;
  }

  push(body: string): void {
    if (this.queue.length >= this.sender.options.queue_size) {
      this.queue.shift();
      this.sender.dropped.inc();
    }
    this.queue.push(body);
    if (!this.running) void this.run();
  }

  clear(): void {
    this.queue.length = 0;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      for (let body = this.queue.shift(); body !== undefined && !this.sender.closed; body = this.queue.shift()) {
        await this.sender.deliver(this, body);
      }
    } finally {
      this.running = false;
    }
  }
}

/**
 * Sends the gateway's events to `events.webhooks`: each event of a webhook's types is queued (bounded, the
 * oldest dropped when full), then POSTed as JSON `{type, at, ...fields, text}` in the background, retried on
 * 5xx and connection errors with exponential backoff. Nothing here runs on a request's path. Logs name the
 * webhook's host only: URLs may carry tokens.
 *
 * @example
 * const sender = new WebhookSender(gateway.events, config.events, gateway.metrics.registry, logger);
 * // ... on reload: sender.detach() (queued deliveries still go); at exit: sender.close()
 */
export class WebhookSender {
  readonly dropped: Counter;
  private readonly deliveries: Counter;
  private readonly targets: Target[];
  private readonly unsubscribe: () => void;
  private readonly stopping = new AbortController();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  constructor(
    events: GatewayEvents,
    readonly options: EventsConfig,
    registry: Registry,
    private readonly logger: Logger,
  ) {
    this.dropped = counter(registry, 'switchyard_webhook_dropped_total', 'Webhook deliveries dropped because the queue was full (the oldest go first)', []);
    this.deliveries = counter(registry, 'switchyard_webhook_deliveries_total', 'Webhook deliveries by result: success, failure (retries spent), rejected (a 4xx, not retried)', ['result']);
    this.targets = options.webhooks.map((w) => new Target(w, this));
    const wanted = new Set(this.targets.flatMap((t) => t.config.types ?? DEFAULT_WEBHOOK_TYPES));
    this.unsubscribe = subscribe(events, [...wanted], (p) => this.enqueue(p));
  }

  get closed(): boolean {
    return this.stopping.signal.aborted;
  }

  /** Takes no new events; what is queued is still delivered (a config reload: the new gateway's sender takes over). */
  detach(): void {
    this.unsubscribe();
  }

  /** Takes no new events and stops: queued deliveries are dropped, one in flight is aborted. */
  close(): void {
    this.unsubscribe();
    this.stopping.abort();
    for (const t of this.targets) t.clear();
    for (const w of this.timers) {
      clearTimeout(w.timer);
      w.resolve();
    }
    this.timers.clear();
  }

  private enqueue(p: EventPayload): void {
    let body: string | undefined;
    for (const t of this.targets) {
      if (!(t.config.types ?? DEFAULT_WEBHOOK_TYPES).includes(p.type)) continue;
      body ??= JSON.stringify({ ...p, text: eventText(p) });
      t.push(body);
    }
  }

  /** One delivery with its retries; resolves when it succeeded, was refused or ran out of tries. */
  async deliver(target: Target, body: string): Promise<void> {
    const { retries, retry_base_ms: base } = this.options;
    for (let attempt = 0; !this.closed; attempt++) {
      const outcome = await this.post(target, body);
      if (outcome.ok || (outcome.status !== undefined && outcome.status < 500)) {
        const result: Result = outcome.ok ? 'success' : 'rejected';
        this.deliveries.labels(result).inc();
        if (!outcome.ok) this.logger.warn({ webhook: target.host, status: outcome.status }, 'webhook refused the event (not retried)');
        return;
      }
      if (attempt >= retries) {
        this.deliveries.labels('failure').inc();
        this.logger.warn({ webhook: target.host, tries: attempt + 1, ...outcome }, 'webhook delivery failed: retries spent');
        return;
      }
      await this.wait(base * 5 ** attempt);
    }
  }

  private async post(target: Target, body: string): Promise<{ ok: boolean; status?: number; error?: string }> {
    try {
      const res = await fetch(target.config.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'switchyard-webhooks', ...target.config.headers },
        body,
        signal: AbortSignal.any([this.stopping.signal, AbortSignal.timeout(this.options.timeout_ms)]),
      });
      await res.body?.cancel();
      return { ok: res.ok, status: res.status };
    } catch (err) {
      // Only a code or an error's name: a message might repeat the URL.
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
      const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : undefined;
      return { ok: false, error: code ?? (err instanceof Error ? err.name : 'error') };
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const w = {
        timer: setTimeout(() => {
          this.timers.delete(w);
          resolve();
        }, ms).unref(),
        resolve,
      };
      this.timers.add(w);
    });
  }
}

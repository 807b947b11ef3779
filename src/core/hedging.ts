import type { Config } from '../config/schema.js';
import type { Gateway } from '../gateway.js';
import { effectiveHedge, type HedgeOutcome, type HedgeSetting, hedgeDelayMs, type LoopHedge, parseHedgeHeader } from '../routing/hedge.js';
import { type HedgeBook, HedgeBudgets } from '../routing/hedge-budget.js';
import { PooledHedgeBudgets } from '../state/redis-hedge-budget.js';
import type { GatewayMetrics } from '../telemetry/metrics.js';
import { type ApiError, gatewayError } from './errors.js';
import type { CoreRequest } from './request.js';

/**
 * Budgets per metrics registry: the registry survives config reloads (a reloaded gateway keeps it),
 * and so does the sliding window of requests and hedges.
 */
const budgets = new WeakMap<GatewayMetrics, HedgeBook>();

/**
 * The hedge budgets of this gateway (and of the gateways it reloads into): pooled across the fleet
 * when state is shared through Redis, else this instance's.
 *
 * @example
 * hedgeBudgetsOf(gateway).take('gpt-4o', 10, Date.now());
 */
export function hedgeBudgetsOf(gateway: Gateway): HedgeBook {
  let b = budgets.get(gateway.metrics);
  if (!b) {
    const shared = gateway.shared;
    if (shared) {
      const pooled = new PooledHedgeBudgets(shared.client, shared.keys.prefix, shared.onRedisError);
      pooled.start(gateway.config.rate_limits.sync_interval_ms);
      b = pooled;
    } else b = new HedgeBudgets();
    budgets.set(gateway.metrics, b);
  }
  return b;
}

/**
 * The hedging a route is configured with (its own, else the gateway's), in the loop's terms.
 *
 * @example
 * configuredHedge(gateway.config.routing, 'gpt-4o'); // { after: 'p95', maxExtraPercent: 10 }, or undefined
 */
export function configuredHedge(routing: Config['routing'], model: string): HedgeSetting | undefined {
  const h = routing.routes[model]?.hedge ?? routing.hedge;
  return h ? { after: h.after, maxExtraPercent: h.max_extra_percent } : undefined;
}

/**
 * How the attempt loop hedges this request: the caller's `x-switchyard-hedge` over the route's over
 * the gateway's hedging. Counts the request in its route's budget when hedging applies. An invalid
 * header is the caller's error.
 *
 * @example
 * const h = requestHedge(gateway, request, 'p95', plan.routing);
 * if ('status' in h) return refused(h);
 * if (h.hedge) options.hedge = h.hedge;
 */
export function requestHedge(gateway: Gateway, r: CoreRequest, header: string | undefined, routing: Config['routing']): { hedge?: LoopHedge } | ApiError {
  const wish = header === undefined ? undefined : parseHedgeHeader(header);
  if (wish === 'invalid') return gatewayError('invalid_request', 'x-switchyard-hedge must be "off", "p95" or a delay in milliseconds.', 'x-switchyard-hedge');
  const setting = effectiveHedge(configuredHedge(routing, r.model), wish);
  if (!setting) return {};
  const route = r.model;
  const book = hedgeBudgetsOf(gateway);
  book.countRequest(route, gateway.clock());
  const { after, maxExtraPercent } = setting;
  return {
    hedge: {
      delayMs: (c) => {
        const recent = after === 'p95' ? gateway.providers.get(c.provider)?.stats?.medians(gateway.clock()) : undefined;
        return hedgeDelayMs(after, r.stream ? (recent?.ttftP95 ?? recent?.p95) : recent?.p95);
      },
      take: () => book.take(route, maxExtraPercent, gateway.clock()),
      report: (outcome: HedgeOutcome) => gateway.metrics.hedges.labels(outcome).inc(),
    },
  };
}

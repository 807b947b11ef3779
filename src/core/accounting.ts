import type { Gateway } from '../gateway.js';
import { costOf, type Usage } from '../telemetry/usage.js';
import type { Routing } from './serve.js';

/**
 * After an answer: its tokens and cost into the measurements (shared through Redis when configured) and
 * the metrics, and the caller's token budget corrected from the estimate to the real usage.
 *
 * @example
 * accountUsage(gateway, 'key-abc', routing, { promptTokens: 12, completionTokens: 5 }, 10);
 */
export function accountUsage(gateway: Gateway, client: string, routing: Pick<Routing, 'provider' | 'model'>, usage: Usage | undefined, estimatedPromptTokens: number): void {
  if (!usage) return;
  const { provider, model } = routing;
  const cost = costOf(usage, gateway.prices.get(provider, model));
  gateway.measurements.recordUsage(provider, model, usage, cost, gateway.clock());
  if (gateway.rateLimiter.enabled) gateway.rateLimiter.addTokens(client, usage.promptTokens + usage.completionTokens - estimatedPromptTokens, gateway.clock());
  gateway.metrics.recordUsage(provider, model, usage.promptTokens, usage.completionTokens, cost);
}

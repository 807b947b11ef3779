import type { Gateway } from '../gateway.js';
import { costOf, type Usage } from '../telemetry/usage.js';
import type { KeyPolicy } from './client-keys.js';
import { limitsFor } from './key-admission.js';
import type { Routing } from './serve.js';

/**
 * After an answer: its tokens and cost into the measurements (shared through Redis when configured,
 * by provider, model and key name) and the metrics, and the caller's token limit corrected from the
 * estimate to the real usage. Answers the cost in USD, undefined when the answer reported no usage.
 *
 * @example
 * accountUsage(gateway, { client: 'name-team-a', key }, routing, { promptTokens: 12, completionTokens: 5 }, 10);
 */
export function accountUsage(
  gateway: Gateway,
  caller: { client: string; key?: KeyPolicy },
  routing: Pick<Routing, 'provider' | 'model'>,
  usage: Usage | undefined,
  estimatedPromptTokens: number,
): number | undefined {
  if (!usage) return undefined;
  const { provider, model } = routing;
  const cost = costOf(usage, gateway.prices.get(provider, model));
  const now = gateway.clock();
  gateway.measurements.recordUsage(provider, model, usage, cost, now, caller.key?.name);
  if (gateway.rateLimiter.enabledFor(limitsFor(gateway, caller.key))) gateway.rateLimiter.addTokens(caller.client, usage.promptTokens + usage.completionTokens - estimatedPromptTokens, now);
  gateway.metrics.recordUsage(provider, model, usage.promptTokens, usage.completionTokens, cost);
  if (caller.key) gateway.metrics.recordKeyUsage(caller.key.name, usage.promptTokens + usage.completionTokens, cost);
  return cost;
}

import type { Config } from '../config/schema.js';
import type { Gateway } from '../gateway.js';
import type { CallerKeys } from '../providers/caller-keys.js';
import { type Finish, runAttempts } from '../routing/attempt-loop.js';
import type { Candidate } from '../routing/strategy.js';
import type { Served } from '../routing/upstream-attempt.js';
import type { UpstreamStream } from '../routing/upstream-stream.js';
import type { Usage } from '../telemetry/usage.js';
import { attemptOptions } from './attempt-options.js';
import type { RoutePlan } from './plan.js';
import { type Continuation, RecoveringStream } from './recovering-stream.js';
import type { CoreRequest } from './request.js';
import { continuationBody } from './stream-recovery.js';

/**
 * Whether a request's route asks for stream recovery, and the request is one it applies to (a chat stream of one choice).
 *
 * @example
 * recoveryWanted({ endpoint: 'chat/completions', body, model: 'gpt-4o', stream: true }, plan.routing); // true with stream_recovery: continue
 */
export function recoveryWanted(r: CoreRequest, routing: Config['routing']): boolean {
  if ((routing.routes[r.model]?.stream_recovery ?? routing.stream_recovery) !== 'continue') return false;
  const n = r.body.n;
  return r.stream && r.endpoint === 'chat/completions' && (n === undefined || n === null || n === 1);
}

/**
 * Wraps a served chat stream so that a cut is continued by the next candidate (README "Stream
 * recovery"), when the route asks for it and the stream is OpenAI chunks (not a native protocol's).
 * Returns undefined when recovery does not apply.
 *
 * @example
 * const source = recoveringSource(gateway, request, plan, candidate, served, result.finish, requestId);
 * new ServedStream(served, { ...hooks, finish: source?.finish ?? result.finish, ...(source ? { source } : {}) });
 */
export function recoveringSource(
  gateway: Gateway,
  r: CoreRequest,
  plan: RoutePlan,
  served: Candidate,
  value: Extract<Served, { kind: 'stream' }>,
  finish: Finish,
  requestId: string,
  callerKeys: CallerKeys | undefined,
): RecoveringStream | undefined {
  if (value.native || !recoveryWanted(r, plan.routing)) return undefined;
  const rest = plan.candidates.filter((c) => c.provider !== served.provider);
  if (rest.length === 0) return undefined;
  return new RecoveringStream(value.stream, finish, {
    from: served.provider,
    promptTokens: plan.estimatedPromptTokens,
    continueFrom: async (delivered, cancel) => {
      const next: CoreRequest = { endpoint: r.endpoint, body: continuationBody(r.body, delivered), model: r.model, stream: true };
      const result = await runAttempts<Served>(attemptOptions(gateway, next, requestId, rest, cancel, plan.routing, callerKeys));
      if (result.kind !== 'served') return undefined;
      if (result.value.kind !== 'stream') {
        result.finish('neutral');
        return undefined;
      }
      return continuation(result.candidate, result.value.stream, result.finish, result.value.streamUsage);
    },
    onRecovered: (info) => {
      gateway.metrics.streamRecoveries.labels(info.from, info.to).inc();
      gateway.logger.info({ requestId, recovered: true, from: info.from, to: info.to, delivered_chars: info.deliveredChars }, 'x-switchyard-recovered: stream continued on the next candidate');
    },
  });
}

function continuation(c: Candidate, stream: UpstreamStream, finish: Finish, streamUsage: (() => Usage | undefined) | undefined): Continuation {
  return { stream, finish, provider: c.provider, ...(streamUsage ? { streamUsage } : {}) };
}

import type { Gateway } from '../gateway.js';
import type { NativeProtocol } from '../providers/types.js';
import { type AttemptRecord, type LoopResult, runAttempts } from '../routing/attempt-loop.js';
import type { Served } from '../routing/upstream-attempt.js';
import type { StoredAnswer } from '../state/idempotency-store.js';
import type { Limits } from '../state/rate-limiter.js';
import { costOf, type Usage } from '../telemetry/usage.js';
import { accountUsage } from './accounting.js';
import { attemptOptions } from './attempt-options.js';
import type { KeyPolicy } from './client-keys.js';
import { type ApiError, gatewayError } from './errors.js';
import { observeAttempts } from './events.js';
import { exhaustedError, upstreamErrorEnvelope } from './exhausted.js';
import { headerValue } from './header-value.js';
import { requestHedge } from './hedging.js';
import { admitIdempotent, type IdempotentRequest } from './idempotency.js';
import { type BudgetHold, estimatedCostMicros, limitsFor, modelRefusal, reserveBudget } from './key-admission.js';
import { planRoute, type RoutePlan } from './plan.js';
import type { RecoveringStream } from './recovering-stream.js';
import type { CoreRequest, RouteOptions } from './request.js';
import { ServedStream, type ServedStreamHooks } from './served-stream.js';
import { recoveringSource } from './stream-continuation.js';
import { resumed } from './stream-resume.js';

/** Who served a request, and how it got there. */
export interface Routing {
  provider: string;
  /** The model asked of the provider. */
  model: string;
  /** Upstream attempts made. */
  attempts: number;
  /** Whether a model other than the first candidate's served (a tier or alias fell back). */
  modelFallback: boolean;
  tried: AttemptRecord[];
}

/** Response metadata every answer carries (routing, rate-limit state), as name/value pairs. */
export type AnswerHeaders = Record<string, string | number>;

/** What the core answers; a front door renders it in its protocol. */
export type Outcome =
  /** Refused by the gateway (invalid routing wish, limit, no provider could serve, ...). */
  | { kind: 'refused'; error: ApiError; headers: AnswerHeaders; tried?: AttemptRecord[] }
  /** An Idempotency-Key repeat: the stored answer. */
  | { kind: 'replay'; answer: StoredAnswer; headers: AnswerHeaders }
  /** The caller went away before an answer. */
  | { kind: 'aborted'; attempts: number }
  /** A whole answer: the provider's JSON, or its error passed back as the caller's own (status >= 400). */
  | { kind: 'answer'; status: number; body: Buffer; headers: AnswerHeaders; routing: Routing; usage?: Usage; native?: NativeProtocol }
  /** `native`: the events are the provider's own protocol's (passed through), not OpenAI chunks. */
  | { kind: 'stream'; stream: ServedStream; headers: AnswerHeaders; routing: Routing; native?: NativeProtocol };

/**
 * Serves one validated request: plan -> admission (rate limit, idempotency) -> attempt loop over the
 * candidates -> the answer, with accounting (usage, cost, token limits, breakers, idempotent replays)
 * done here for whole answers and when a stream ends. Knows nothing of HTTP requests and responses.
 *
 * @example
 * const outcome = await serve(gateway, { endpoint: 'chat/completions', body, model, stream: false }, { requestId, client, signal });
 * if (outcome.kind === 'answer') write(outcome.status, outcome.headers, outcome.body);
 */
export async function serve(gateway: Gateway, r: CoreRequest, o: RouteOptions): Promise<Outcome> {
  const started = performance.now();
  const headers: AnswerHeaders = {};
  if (gateway.providers.size === 0) {
    return refused(gatewayError('no_providers', 'No provider is configured: check the gateway configuration (providers with unset api_key variables are skipped).'), headers);
  }
  const denied = modelRefusal(o.key, r.model);
  if (denied) {
    gateway.metrics.keyRejected.labels(o.key!.name, 'model_not_allowed').inc();
    return refused(denied, headers);
  }
  // A session this instance does not know may be pinned on another (shared through Redis): one look-up
  // now (only requests naming a session pay it), so that planning, synchronous, finds it locally.
  if (o.session) await gateway.sessions.resolve(o.session, gateway.clock());
  const plan = planRoute(gateway, r, o);
  if ('status' in plan) return refused(plan, headers);
  // Most requests have nothing to admit (no limit, budget or Idempotency-Key): no await for them.
  const limits = limitsFor(gateway, o.key);
  const admitted = gateway.rateLimiter.enabledFor(limits) || o.key?.budget || o.idempotencyKey !== undefined ? await admit(gateway, r, o, plan, headers, limits) : NOTHING_HELD;
  if ('kind' in admitted) return admitted;
  const { lock, hold } = admitted;
  const hedging = requestHedge(gateway, r, o.hedge, plan.routing);
  if ('status' in hedging) {
    lock?.abandon();
    hold?.settle(0);
    return refused(hedging, headers);
  }

  const options = attemptOptions(gateway, r, o.requestId, plan.candidates, o.signal, plan.routing, o.callerKeys);
  if (hedging.hedge) options.hedge = hedging.hedge;
  const observed = observeAttempts(gateway.events, o.requestId, plan.strategy, options);
  const result = await runAttempts<Served>(observed.options);
  observed.end();
  const attempts = result.attempts.filter((a) => a.result !== 'skipped').length;
  if (result.kind === 'aborted') {
    lock?.abandon();
    hold?.settle(0);
    return { kind: 'aborted', attempts };
  }
  if (result.kind === 'exhausted') {
    lock?.abandon();
    hold?.settle(0);
    gateway.metrics.exhausted.inc();
    headers['x-switchyard-attempts'] = attempts;
    if (result.retryAfterMs !== undefined) headers['retry-after'] = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    const tried = plan.skipped.length > 0 ? { ...result, attempts: [...plan.skipped, ...result.attempts] } : result;
    return { kind: 'refused', error: exhaustedError(r.model, tried), headers, tried: tried.attempts };
  }
  const { candidate } = result;
  const routing: Routing = { provider: candidate.provider, model: candidate.model, attempts, modelFallback: candidate.model !== plan.candidates[0]?.model, tried: result.attempts };
  Object.assign(headers, routingHeaders(routing));
  const served = result.value;
  // Says the answer is in the caller's own protocol (passed through); kept with idempotent replays.
  if (served.native) headers['x-switchyard-native'] = served.native;
  try {
    if (o.session && result.kind === 'served') gateway.sessions.set(o.session, routing.provider, gateway.clock());
    if (result.kind === 'rejected') {
      hold?.settle(0);
      return passBack(gateway, served, routing, headers, lock, o);
    }
    const delivery: Delivery = {
      routing,
      headers,
      started,
      requestId: o.requestId,
      client: o.client,
      estimate: plan.estimatedPromptTokens,
    };
    // Optional fields set one by one: a conditional spread costs an object per request.
    if (o.key) delivery.key = o.key;
    if (lock) delivery.lock = lock;
    if (hold) delivery.hold = hold;
    // Made here rather than in a closure that the stream would keep for its life: a closure keeps its
    // whole scope, and this one holds the caller's request (a long prompt held as long as the answer streams).
    const source = served.kind === 'stream' ? recoveringSource(gateway, r, plan, candidate, served, result.finish, o.requestId, o.callerKeys) : undefined;
    return deliver(gateway, result, delivery, source);
  } catch (err) {
    // Nothing after the upstream call may leave it running or its breaker unsettled (a probe above all).
    if (served.kind === 'stream') served.stream.destroy();
    if (result.kind === 'served') result.finish('neutral');
    lock?.abandon();
    hold?.settle(0);
    throw err;
  }
}

/** What admission holds for a request until it ends: its idempotency lock, its budget hold. */
interface Held {
  lock?: IdempotentRequest;
  hold?: BudgetHold;
}

const NOTHING_HELD: Held = Object.freeze({});

/**
 * Admission: the caller's rate limit (its key's own, or the defaults), its key's budget (the estimated
 * cost held), then its Idempotency-Key (a repeat is answered from the store, and holds nothing).
 */
async function admit(gateway: Gateway, r: CoreRequest, o: RouteOptions, plan: RoutePlan, headers: AnswerHeaders, limits: Limits): Promise<Outcome | Held> {
  if (gateway.rateLimiter.enabledFor(limits)) {
    const admission = await gateway.rateLimiter.admit(o.client, limits, plan.estimatedPromptTokens, gateway.clock());
    Object.assign(headers, admission.headers);
    if (!admission.ok) {
      gateway.metrics.rejected.labels('rate_limited').inc();
      if (o.key) gateway.metrics.keyRejected.labels(o.key.name, 'rate_limited').inc();
      headers['retry-after'] = admission.retryAfterS;
      return refused(gatewayError('rate_limit_exceeded', `Rate limit reached on ${admission.which} per minute; try again in ${admission.retryAfterS}s.`), headers);
    }
  }
  let hold: BudgetHold | undefined;
  if (o.key?.budget) {
    const b = await reserveBudget(gateway, o.key, estimatedCostMicros(gateway, plan.candidates, plan.estimatedPromptTokens, plan.maxTokens));
    if ('error' in b) return refused(b.error, Object.assign(headers, b.headers));
    hold = b;
  }
  if (o.idempotencyKey === undefined) return hold ? { hold } : {};
  const a = await admitIdempotent(gateway, o.client, o.idempotencyKey, r.raw ?? Buffer.from(JSON.stringify(r.body)), plan.routing.request_timeout_ms);
  if (a.kind !== 'proceed') hold?.settle(0);
  if (a.kind === 'replay') return { kind: 'replay', answer: resumed(a.answer, o.lastEventId), headers };
  if (a.kind === 'refused') return refused(a.error, a.retryAfterS ? Object.assign({}, headers, { 'retry-after': a.retryAfterS }) : headers);
  return { ...(a.lock ? { lock: a.lock } : {}), ...(hold ? { hold } : {}) };
}

/** An upstream error the caller gets as its own (not failed over), with the provider's keys removed. */
function passBack(gateway: Gateway, served: Served, routing: Routing, headers: AnswerHeaders, lock: IdempotentRequest | undefined, o: RouteOptions): Outcome {
  if (served.kind !== 'error') throw new Error('a rejected attempt carries an error answer');
  if (served.retryAfter) headers['retry-after'] = served.retryAfter;
  const provider = gateway.providers.get(routing.provider);
  const redact = (t: string) => (provider ? provider.redact(t, o.callerKeys) : (o.callerKeys?.redact(t) ?? t));
  // A native error is already in the caller's protocol: only the keys come out of it.
  const body = served.native ? Buffer.from(redact(served.body.toString('utf8'))) : upstreamErrorEnvelope(served.body, served.status, redact);
  lock?.store(served.status, headers, body);
  return { kind: 'answer', status: served.status, body, headers, routing, ...(served.native ? { native: served.native } : {}) };
}

interface Delivery {
  routing: Routing;
  headers: AnswerHeaders;
  started: number;
  requestId: string;
  client: string;
  key?: KeyPolicy;
  estimate: number;
  lock?: IdempotentRequest;
  hold?: BudgetHold;
}

/**
 * A served answer: a whole one is settled and accounted now, a stream when it ends. `source`: a stream
 * that continues on the next candidate when cut (stream_recovery), when the route asks for it.
 */
function deliver(gateway: Gateway, result: Extract<LoopResult<Served>, { kind: 'served' }>, d: Delivery, source: RecoveringStream | undefined): Outcome {
  const { routing, headers, lock } = d;
  const served = result.value;
  const account = (usage: Usage | undefined) => {
    const cost = accountUsage(gateway, d, routing, usage, d.estimate);
    // Without usage the real cost is unknown: the hold is kept as spent (a budget errs on the safe side).
    d.hold?.settle(cost);
    if (gateway.events.listens('success')) emitSuccess(gateway, d, usage);
  };
  const elapsed = performance.now() - d.started;
  gateway.metrics.overhead.observe(Math.max(0, elapsed - result.upstreamMs) / 1000);
  if (served.kind === 'error') throw new Error('a served attempt carries an answer');
  if (served.kind === 'json') {
    lock?.store(served.status, headers, served.body);
    result.finish('success');
    account(served.usage);
    const answer: Extract<Outcome, { kind: 'answer' }> = { kind: 'answer', status: served.status, body: served.body, headers, routing };
    if (served.usage) answer.usage = served.usage;
    if (served.native) answer.native = served.native;
    return answer;
  }
  gateway.metrics.recordFirstChunk(routing.provider, elapsed);
  gateway.measurements.recordFirstChunk(routing.provider, routing.model, elapsed, gateway.clock());
  const resumable = lock !== undefined && gateway.config.idempotency.resume_streams;
  // A resumable stream outlives its caller: read to the end and stored for the caller's return.
  if (resumable) result.detachClient();
  const hooks: ServedStreamHooks = {
    finish: source?.finish ?? result.finish,
    resumable,
    headers,
    account,
    onStreamError: (detail) => {
      gateway.metrics.streamErrors.labels(routing.provider).inc();
      if (gateway.events.listens('failure')) gateway.events.emit('failure', { requestId: d.requestId, provider: routing.provider, model: routing.model, reason: detail });
    },
    keepAliveMs: gateway.config.server.stream_keepalive_ms,
  };
  if (source) hooks.source = source;
  if (lock) hooks.lock = lock;
  const stream = new ServedStream(served, hooks);
  const outcome: Extract<Outcome, { kind: 'stream' }> = { kind: 'stream', stream, headers, routing };
  if (served.native) outcome.native = served.native;
  return outcome;
}

function emitSuccess(gateway: Gateway, d: Delivery, usage: Usage | undefined): void {
  const { provider, model } = d.routing;
  const costUsd = usage ? costOf(usage, gateway.prices.get(provider, model)) : 0;
  const latencyMs = performance.now() - d.started;
  gateway.events.emit('success', { requestId: d.requestId, provider, model, latencyMs, ...(usage ? { usage } : {}), costUsd });
}

function refused(error: ApiError, headers: AnswerHeaders): Outcome {
  return { kind: 'refused', error, headers };
}

/** The routing metadata as the headers every proxied answer carries. */
function routingHeaders(r: Routing): AnswerHeaders {
  const h: AnswerHeaders = { 'x-switchyard-provider': r.provider, 'x-switchyard-model': headerValue(r.model), 'x-switchyard-attempts': r.attempts };
  if (r.modelFallback) h['x-switchyard-model-fallback'] = 'true';
  return h;
}

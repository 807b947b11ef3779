import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../../gateway.js';
import type { Endpoint } from '../../providers/types.js';
import { Cancel } from '../../routing/cancel.js';
import { runAttempts, type LoopResult } from '../../routing/attempt-loop.js';
import { attemptPlan } from '../../routing/attempt-plan.js';
import { planRequest } from '../../routing/plan-request.js';
import type { Served } from '../../routing/upstream-attempt.js';
import { sendJson } from '../../respond/json.js';
import { pipeStream } from '../../respond/stream.js';
import { costOf, type Usage } from '../../telemetry/usage.js';
import { validateRequest } from '../../validate/validate.js';
import { headerValue } from '../header-value.js';
import { badRequest, writeError, type ApiError } from '../errors.js';
import { readBody } from '../read-body.js';
import { idempotencyGate, type IdempotentRequest } from '../idempotency.js';
import { asErrorEnvelope, exhaustedError } from '../../respond/upstream-errors.js';

export interface ProxyContext {
  gateway: Gateway;
  req: IncomingMessage;
  res: ServerResponse;
  requestId: string;
  endpoint: Endpoint;
  /** Who is asking, for rate limits and idempotency scopes: a key digest, or the address. */
  client: string;
}

/**
 * POST /v1/chat/completions and /v1/completions: read, validate, plan, attempt, respond, account.
 * Works on the Node request and response directly so that bodies and streams are never converted.
 */
export async function handleProxy(ctx: ProxyContext): Promise<void> {
  const { gateway, req, res, requestId, endpoint } = ctx;
  const started = performance.now();
  /** Headers every answer carries (request id; rate-limit state when limits are on). */
  const base: Record<string, string | number> = { 'x-request-id': requestId };
  let idem: IdempotentRequest | undefined;
  const log = (status: number, extra: Record<string, unknown>) =>
    gateway.logger.info({ requestId, method: 'POST', path: `/v1/${endpoint}`, status, ms: round(performance.now() - started), ...extra }, 'request');
  const fail = (e: ApiError, headers: Record<string, string | number> = {}, extra: Record<string, unknown> = {}) => {
    idem?.abandon();
    writeError(res, e, { ...base, ...headers });
    gateway.metrics.recordHttp(endpoint, e.status);
    log(e.status, { error: e.code ?? e.type, ...extra });
  };

  if (!declaresJson(req.headers['content-type'])) {
    req.resume();
    gateway.metrics.rejected.labels('unsupported_media_type').inc();
    return fail({ status: 415, type: 'invalid_request_error', code: 'unsupported_media_type', param: null, message: `The request body must be JSON: send Content-Type: application/json (got ${headerValue(req.headers['content-type'] ?? '', 64)}).` });
  }
  const read = await readBody(req, gateway.config.limits.max_body_bytes);
  if (!read.ok) {
    if (read.reason === 'too_large') {
      gateway.metrics.rejected.labels('too_large').inc();
      return fail({ status: 413, type: 'invalid_request_error', code: 'request_too_large', message: `Request body is larger than ${gateway.config.limits.max_body_bytes} bytes.` });
    }
    return; // client went away, or its body did not arrive in time (the server answered 408)
  }
  // Counted against the cap only once its body is in: a slow sender holds no slot while it sends.
  if (gateway.inFlight >= gateway.config.limits.max_concurrent_requests) {
    gateway.metrics.rejected.labels('saturated').inc();
    return fail(SATURATED, { 'retry-after': 1 });
  }
  gateway.enter();
  res.once('close', () => gateway.leave());
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.body.toString('utf8'));
  } catch {
    return fail(badRequest('We could not parse the JSON body of your request. The body must be valid JSON.', null, 'invalid_json'));
  }
  const v = validateRequest(endpoint, parsed);
  if (!v.ok) return fail(badRequest(v.message, v.param, 'invalid_request'));

  if (gateway.providers.size === 0) {
    return fail({ status: 503, type: 'service_unavailable', code: 'no_providers', message: 'No provider is configured: check the gateway configuration (providers with unset api_key variables are skipped).' });
  }
  const plan = planRequest(gateway, endpoint, v.body, v.model, v.stream, req.headers);
  if (!plan.ok) return fail({ ...plan.error, type: 'invalid_request_error' });
  const ordered = plan.candidates;

  const estimate = plan.estimatedPromptTokens;
  if (gateway.rateLimiter.enabled) {
    const admission = gateway.rateLimiter.admit(ctx.client, estimate, gateway.clock());
    Object.assign(base, admission.headers);
    if (!admission.ok) {
      gateway.metrics.rejected.labels('rate_limited').inc();
      return fail(
        { status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded', message: `Rate limit reached on ${admission.which} per minute; try again in ${admission.retryAfterS}s.` },
        { 'retry-after': admission.retryAfterS },
      );
    }
  }
  const idemKey = req.headers['idempotency-key'];
  if (idemKey !== undefined) {
    const gate = await idempotencyGate(gateway, ctx.client, Array.isArray(idemKey) ? idemKey[0] : idemKey, read.body, res, base, gateway.config.routing.request_timeout_ms);
    if (gate.kind === 'answered') return log(res.statusCode, { idempotent: 'replayed' });
    idem = gate.request;
  }

  const clientGone = new Cancel();
  const onClose = () => {
    if (!res.writableFinished) clientGone.abort();
  };
  res.once('close', onClose);

  const result: LoopResult<Served> = await runAttempts<Served>(
    attemptPlan(gateway, { endpoint, requestId, body: v.body, raw: read.body, model: v.model, stream: v.stream }, ordered, clientGone),
  );

  const attemptsMade = result.attempts.filter((a) => a.result !== 'skipped').length;
  if (result.kind === 'aborted') {
    idem?.abandon();
    log(499, { attempts: attemptsMade, error: 'client_closed_request' });
    return;
  }
  if (result.kind === 'exhausted') {
    gateway.metrics.exhausted.inc();
    const e = exhaustedError(v.model, result);
    const headers: Record<string, string | number> = { 'x-switchyard-attempts': attemptsMade };
    if (result.retryAfterMs !== undefined) headers['retry-after'] = Math.max(1, Math.ceil(result.retryAfterMs / 1000));
    return fail(e, headers, { attempts: attemptsMade, tried: result.attempts });
  }

  const provider = result.candidate.provider;
  if (plan.session && result.kind === 'served') gateway.sessions.set(plan.session, provider, gateway.clock());
  const headers: Record<string, string | number> = {
    ...base,
    'x-switchyard-provider': provider,
    'x-switchyard-model': headerValue(result.candidate.model),
    'x-switchyard-attempts': attemptsMade,
  };
  if (result.candidate.model !== ordered[0]?.model) headers['x-switchyard-model-fallback'] = 'true';
  const served = result.value;
  try {
    respond();
  } catch (err) {
    // Nothing after the upstream call may leave it running or its breaker unsettled (a probe above all).
    if (served.kind === 'stream') served.stream.destroy();
    if (result.kind === 'served') result.finish('neutral');
    idem?.abandon();
    throw err;
  }

  function respond(): void {
    if (result.kind === 'rejected' && served.kind === 'error') {
      if (served.retryAfter) headers['retry-after'] = served.retryAfter;
      const body = asErrorEnvelope(served.body, served.status, gateway.keyRings.get(provider)!);
      sendJson(res, served.status, body, headers);
      idem?.store(served.status, headers, body);
      gateway.metrics.recordHttp(endpoint, served.status);
      log(served.status, { provider, model: result.candidate.model, attempts: attemptsMade });
      return;
    }
    if (result.kind !== 'served') return; // unreachable: a rejection always carries an error answer

    const account = (usage: Usage | undefined) => {
      if (!usage) return;
      const price = gateway.prices.get(provider, result.candidate.model);
      const cost = costOf(usage, price);
      gateway.measurements.recordUsage(provider, result.candidate.model, usage, cost, gateway.clock());
      const m = result.candidate.model;
      if (gateway.rateLimiter.enabled) gateway.rateLimiter.addTokens(ctx.client, usage.promptTokens + usage.completionTokens - estimate, gateway.clock());
      gateway.metrics.recordUsage(provider, m, usage.promptTokens, usage.completionTokens, cost);
    };

    if (served.kind === 'json') {
      gateway.metrics.overhead.observe(Math.max(0, performance.now() - started - result.upstreamMs) / 1000);
      sendJson(res, served.status, served.body, headers);
      idem?.store(served.status, headers, served.body);
      result.finish('success');
      account(served.usage);
      gateway.metrics.recordHttp(endpoint, served.status);
      log(served.status, { provider, model: result.candidate.model, attempts: attemptsMade, ...usageLog(served.usage) });
      return;
    }
    if (served.kind === 'stream') {
      const ttft = performance.now() - started;
      gateway.metrics.overhead.observe(Math.max(0, ttft - result.upstreamMs) / 1000);
      gateway.metrics.recordFirstChunk(provider, ttft);
      gateway.measurements.recordFirstChunk(provider, result.candidate.model, ttft, gateway.clock());
      pipeStream(res, served.stream, headers, requestId, (end) => {
        if (end.kind === 'complete') {
          idem?.store(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8' });
          result.finish('success');
          account(end.usage ?? served.streamUsage?.());
        } else if (end.kind === 'upstream_error') {
          idem?.abandon();
          result.finish('failure');
          gateway.metrics.streamErrors.labels(provider).inc();
        } else {
          idem?.abandon();
          result.finish('neutral');
        }
        gateway.metrics.recordHttp(endpoint, 200);
        log(200, {
          provider,
          model: result.candidate.model,
          attempts: attemptsMade,
          stream: end.kind,
          ...(end.kind === 'upstream_error' ? { error: end.detail } : {}),
          ...(end.kind === 'complete' ? usageLog(end.usage) : {}),
        });
      }, idem?.tap);
    }
  }
}

const SATURATED: ApiError = { status: 503, type: 'service_unavailable', code: 'gateway_saturated', message: 'The gateway is at its limit of concurrent requests; retry shortly.' };

/** Bodies are JSON: a missing Content-Type is taken as JSON, a declared other type is refused (415). */
function declaresJson(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === '') return true;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

const round = (ms: number) => Math.round(ms * 100) / 100;
const usageLog = (u: Usage | undefined) => (u ? { promptTokens: u.promptTokens, completionTokens: u.completionTokens } : {});

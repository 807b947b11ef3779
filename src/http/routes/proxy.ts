import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { type ApiError, gatewayError } from '../../core/errors.js';
import { headerValue } from '../../core/header-value.js';
import type { RouteOptions } from '../../core/request.js';
import { type Outcome, serve } from '../../core/serve.js';
import type { Gateway } from '../../gateway.js';
import type { Endpoint } from '../../providers/types.js';
import { sendJson } from '../../respond/json.js';
import { pipeStream } from '../../respond/stream.js';
import { Cancel } from '../../routing/cancel.js';
import type { Usage } from '../../telemetry/usage.js';
import { validateRequest } from '../../validate/validate.js';
import { writeError } from '../errors.js';
import { finishRequest, type Preflight } from '../preflight.js';
import { readBody } from '../read-body.js';

export interface ProxyContext {
  gateway: Gateway;
  req: IncomingMessage;
  res: ServerResponse;
  preflight: Preflight;
  endpoint: Endpoint;
  /** Who is asking, for rate limits and idempotency scopes: a key digest, or the address. */
  client: string;
}

const SATURATED = gatewayError('gateway_saturated', 'The gateway is at its limit of concurrent requests; retry shortly.');

/**
 * The OpenAI front door for POST /v1/chat/completions and /v1/completions: bytes in, a validated
 * request and routing options to the core, the core's outcome back out as bytes (JSON, or SSE piped
 * event by event). Works on the Node request and response so bodies and streams are never converted.
 */
export async function handleProxy(ctx: ProxyContext): Promise<void> {
  const { gateway, req, res, preflight, endpoint } = ctx;
  const base: Record<string, string | number> = { 'x-request-id': preflight.requestId };
  const done = (status: number, extra: Record<string, unknown> = {}) => finishRequest(gateway, preflight, 'POST', `/v1/${endpoint}`, endpoint, status, extra);
  const fail = (e: ApiError, headers: Record<string, string | number> = {}, extra: Record<string, unknown> = {}) => {
    writeError(res, e, { ...headers, ...base });
    done(e.status, { error: e.code ?? e.type, ...extra });
  };

  if (!declaresJson(req.headers['content-type'])) {
    req.resume();
    gateway.metrics.rejected.labels('unsupported_media_type').inc();
    return fail(gatewayError('unsupported_media_type', `The request body must be JSON: send Content-Type: application/json (got ${headerValue(req.headers['content-type'] ?? '', 64)}).`));
  }
  const limit = gateway.config.limits.max_body_bytes;
  const read = await readBody(req, limit);
  if (!read.ok) {
    if (read.reason !== 'too_large') return; // went away, or its body did not arrive in time (the server answered 408)
    gateway.metrics.rejected.labels('too_large').inc();
    return fail(gatewayError('request_too_large', `Request body is larger than ${limit} bytes.`));
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
    return fail(gatewayError('invalid_json', 'We could not parse the JSON body of your request. The body must be valid JSON.'));
  }
  const v = validateRequest(endpoint, parsed);
  if (!v.ok) return fail(gatewayError('invalid_request', v.message, v.param));

  const signal = new Cancel();
  res.once('close', () => {
    if (!res.writableFinished) signal.abort();
  });
  const outcome = await serve(gateway, { endpoint, body: v.body, raw: read.body, model: v.model, stream: v.stream }, routeOptions(req.headers, preflight.requestId, ctx.client, signal));
  respond(ctx, outcome, base, done, fail);
}

/** Renders the core's outcome as HTTP. */
function respond(
  { res, preflight }: ProxyContext,
  outcome: Outcome,
  base: Record<string, string | number>,
  done: (status: number, extra?: Record<string, unknown>) => void,
  fail: (e: ApiError, headers?: Record<string, string | number>, extra?: Record<string, unknown>) => void,
): void {
  switch (outcome.kind) {
    case 'refused':
      return fail(outcome.error, outcome.headers, outcome.tried ? { attempts: outcome.headers['x-switchyard-attempts'], tried: outcome.tried } : {});
    case 'aborted':
      return done(499, { attempts: outcome.attempts, error: 'client_closed_request' });
    case 'replay': {
      const body = Buffer.from(outcome.answer.body);
      res.writeHead(outcome.answer.status, { ...outcome.answer.headers, ...outcome.headers, ...base, 'idempotent-replayed': 'true', 'content-length': body.length });
      res.end(body);
      return done(outcome.answer.status, { idempotent: 'replayed' });
    }
    case 'answer': {
      const { routing } = outcome;
      sendJson(res, outcome.status, outcome.body, { ...base, ...outcome.headers });
      return done(outcome.status, { provider: routing.provider, model: routing.model, attempts: routing.attempts, ...usageLog(outcome.usage) });
    }
    case 'stream': {
      const { routing, stream } = outcome;
      try {
        pipeStream(res, stream, { ...base, ...outcome.headers }, preflight.requestId, (end) =>
          done(200, {
            provider: routing.provider,
            model: routing.model,
            attempts: routing.attempts,
            stream: end.kind,
            ...(end.kind === 'upstream_error' ? { error: end.detail } : {}),
            ...(end.kind === 'complete' ? usageLog(end.usage) : {}),
          }),
        );
      } catch (err) {
        stream.cancel(); // the upstream must not stream on to nobody, and its breaker must settle
        throw err;
      }
    }
  }
}

/** The caller's routing wishes, from `x-switchyard-*` headers and `Idempotency-Key`. */
function routeOptions(h: IncomingHttpHeaders, requestId: string, client: string, signal: Cancel): RouteOptions {
  const o: RouteOptions = { requestId, client, signal };
  const strategy = first(h['x-switchyard-strategy']);
  const provider = first(h['x-switchyard-provider']);
  const session = first(h['x-switchyard-session']);
  const idempotencyKey = first(h['idempotency-key']);
  if (strategy !== undefined) o.strategy = strategy;
  if (provider !== undefined) o.provider = provider;
  if (session !== undefined) o.session = session;
  if (idempotencyKey !== undefined) o.idempotencyKey = idempotencyKey;
  if (/^(false|0|no|none|off)$/i.test(first(h['x-switchyard-fallback']) ?? '')) o.fallback = false;
  return o;
}

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

const usageLog = (u: Usage | undefined) => (u ? { promptTokens: u.promptTokens, completionTokens: u.completionTokens } : {});

/** Bodies are JSON: a missing Content-Type is taken as JSON, a declared other type is refused (415). */
function declaresJson(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType === '') return true;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

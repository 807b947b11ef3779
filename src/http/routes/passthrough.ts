/**
 * The pass-through front door: every `/v1/*` request no other route takes (files, uploads, batches,
 * images, audio, moderations, fine-tuning, vector stores, stored chat completions, DELETE /v1/models/{id},
 * ...) goes unchanged to a provider of type `openai`; to the one that created the object it names when
 * the gateway knows it. Bodies stream both ways with backpressure; only small bodies are held (a request
 * body of up to 64 KiB, so it can be sent again; an error answer, to redact keys; a JSON answer of up to
 * 64 KiB, to learn the id of what it created).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Hono } from 'hono';
import type { Caller } from '../../core/client-keys.js';
import { type ApiError, gatewayError } from '../../core/errors.js';
import { limitsFor } from '../../core/key-admission.js';
import { objectOwnersOf, pathSegments, topLevelId } from '../../core/object-owners.js';
import type { Gateway } from '../../gateway.js';
import { CallerKeys } from '../../providers/caller-keys.js';
import { Cancel } from '../../routing/cancel.js';
import type { BreakerOutcome } from '../../routing/circuit-breaker.js';
import type { AppEnv } from '../app.js';
import { errorJson } from '../errors.js';
import { attemptAll, type Reply } from '../passthrough-attempts.js';
import { readBody } from '../read-body.js';

/** Request bodies up to this size are read first, so a provider that cannot take them can be skipped. */
const REPLAYABLE_BYTES = 64 * 1024;

const json = { 'content-type': 'application/json' };

/**
 * Mounts the catch-all. Register it after every other `/v1/*` route: Hono tries routes in order.
 *
 * @example
 * mountModels(app, gateway);
 * mountPassthrough(app, gateway); // then app.notFound(...)
 */
export function mountPassthrough(app: Hono<AppEnv>, gateway: Gateway): void {
  app.all('/v1/*', async (c) => {
    const { incoming, outgoing } = c.env;
    const requestId = c.get('requestId');
    try {
      const reply = await passThrough(gateway, incoming, outgoing, requestId, c.get('preflight').caller);
      // Hono answers HEAD through a Response of its own, so that one is handed back rather than written.
      if (incoming.method === 'HEAD') return headResponse(reply, requestId);
      return alreadySent(await render(outgoing, reply, requestId));
    } catch (err) {
      if (!outgoing.headersSent) throw err; // app.onError answers with the envelope
      gateway.logger.error({ requestId, err: { name: (err as Error).name, message: (err as Error).message } }, 'pass-through failed mid-answer');
      outgoing.destroy();
      return alreadySent(502);
    }
  });
}

/** Decides what to answer: refusals first, then the providers, in order. */
async function passThrough(gateway: Gateway, req: IncomingMessage, res: ServerResponse, requestId: string, caller: Caller): Promise<Reply> {
  const method = (req.method ?? 'GET').toUpperCase();
  // The WHATWG parser resolves `..` (plain or %2e) and absolute-form targets: the path stays under /v1/.
  const url = new URL(req.url ?? '/', 'http://gateway.invalid');
  const what = `${method} ${url.pathname}`;
  const refuse = (e: ApiError, headers: OutgoingHttpHeaders = {}): Reply => {
    req.resume(); // unread body: drained so the connection can be reused
    return { kind: 'bytes', status: e.status, headers: Object.assign({}, headers, json), body: Buffer.from(errorJson(e)) };
  };

  const providers = gateway.chain.flatMap((name) => {
    const p = gateway.providers.get(name);
    return p?.config.type === 'openai' ? [p] : [];
  });
  if (providers.length === 0) {
    // Worded like any unknown URL first (clients match on it), then why this one has nowhere to go.
    const why = 'Requests beyond chat, completions, embeddings and models are forwarded only to a provider of type openai, and none is configured.';
    return refuse(gatewayError('unknown_url', `Unknown request URL: ${what}. ${why}`));
  }
  const limit = gateway.config.limits.max_body_bytes;
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > limit) {
    gateway.metrics.rejected.labels('too_large').inc();
    return refuse(gatewayError('request_too_large', `Request body is larger than ${limit} bytes.`));
  }
  if (gateway.inFlight >= gateway.config.limits.max_concurrent_requests) {
    gateway.metrics.rejected.labels('saturated').inc();
    return refuse(gatewayError('gateway_saturated', 'The gateway is at its limit of concurrent requests; retry shortly.'), { 'retry-after': '1' });
  }
  const policy = caller.policy;
  if (policy?.models || policy?.budget) {
    // What a pass-through request costs or which model it runs (a batch, a fine-tune) is not known here.
    return refuse(gatewayError('passthrough_not_allowed', `The key "${policy.name}" has a model allow-list or a budget: ${what} is not forwarded for it.`));
  }
  const rateHeaders: OutgoingHttpHeaders = {};
  const limits = limitsFor(gateway, policy);
  if (gateway.rateLimiter.enabledFor(limits)) {
    const admission = await gateway.rateLimiter.admit(caller.id, limits, 0, gateway.clock());
    Object.assign(rateHeaders, admission.headers);
    if (!admission.ok) {
      gateway.metrics.rejected.labels('rate_limited').inc();
      return refuse(gatewayError('rate_limit_exceeded', `Rate limit reached on ${admission.which} per minute; try again in ${admission.retryAfterS}s.`), {
        ...rateHeaders,
        'retry-after': String(admission.retryAfterS),
      });
    }
  }
  gateway.enter();
  res.once('close', () => gateway.leave());

  const owners = objectOwnersOf(gateway.store);
  const segments = pathSegments(url.pathname);
  const owned = owners.ownerIn(segments);
  const owner = owned && providers.find((p) => p.name === owned.provider);
  const candidates = owner ? [owner] : providers;

  // GET and HEAD carry no body; a small one is read now (it can be sent again); a large or chunked one is piped once.
  const chunked = req.headers['transfer-encoding'] !== undefined;
  let body: Buffer | IncomingMessage | undefined;
  if (method !== 'GET' && method !== 'HEAD' && (chunked || (declared !== undefined && declared > 0))) {
    if (!chunked && declared! <= REPLAYABLE_BYTES) {
      const read = await readBody(req, REPLAYABLE_BYTES);
      if (!read.ok) return { kind: 'gone' };
      body = read.body;
    } else body = req;
  }

  const cancel = new Cancel();
  res.once('close', () => {
    if (!res.writableFinished) cancel.abort();
  });
  const contentLength = Buffer.isBuffer(body) ? body.length : method === 'GET' || method === 'HEAD' || chunked ? undefined : declared;
  const path = url.pathname.slice(3) + url.search;
  const callerKeys = CallerKeys.fromHeaders(req.headers, gateway.keyBook.size > 0);
  const reply = await attemptAll({
    gateway,
    method,
    what,
    path,
    headers: req.headers,
    body,
    contentLength,
    candidates,
    ...(owner ? { owner: owner.name } : {}),
    requestId,
    cancel,
    ...(callerKeys ? { callerKeys } : {}),
  });
  if (reply.kind === 'upstream' || reply.kind === 'bytes') Object.assign(reply.headers, rateHeaders);
  if (reply.kind === 'upstream' && reply.status < 300) learn(gateway, method, segments, reply);
  return reply;
}

/** Remembers who holds the object an answer names (created, or found), or forgets a deleted one. */
function learn(gateway: Gateway, method: string, segments: readonly string[], reply: Extract<Reply, { kind: 'upstream' }>): void {
  if (!reply.json) return;
  const id = topLevelId(reply.json);
  if (id === undefined) return;
  const owners = objectOwnersOf(gateway.store);
  if (method === 'DELETE') owners.forget(id);
  else if (method === 'POST' || segments.includes(id)) owners.remember(id, reply.provider);
}

/** Writes the reply on the Node response; resolves with its status once the response is done. */
function render(res: ServerResponse, reply: Reply, requestId: string): Promise<number> {
  if (reply.kind === 'gone') return Promise.resolve(499);
  const headers = Object.assign({}, reply.headers, { 'x-request-id': requestId });
  if (reply.kind === 'bytes') {
    res.writeHead(reply.status, Object.assign({}, headers, { 'content-length': reply.body.length }));
    res.end(reply.body);
    return Promise.resolve(reply.status);
  }
  return new Promise((resolve) => {
    let upstreamFailed = false;
    res.once('close', () => {
      if (!res.writableFinished) reply.body.destroy();
      const outcome: BreakerOutcome = upstreamFailed ? 'failure' : res.writableFinished ? 'success' : 'neutral';
      reply.settle(outcome);
      resolve(reply.status);
    });
    // A body cut upstream cannot be told to the client in any other way than a cut.
    reply.body.once('error', () => {
      upstreamFailed = true;
      res.destroy();
    });
    res.writeHead(reply.status, headers);
    for (const chunk of reply.head) res.write(chunk);
    if (reply.ended) res.end();
    else reply.body.pipe(res);
  });
}

/** A HEAD answer for Hono to write: the headers only. */
function headResponse(reply: Reply, requestId: string): Response {
  if (reply.kind === 'gone') return new Response(null, { status: 499 });
  if (reply.kind === 'upstream') {
    reply.body.resume();
    reply.settle('success');
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(Object.assign({}, reply.headers, { 'x-request-id': requestId }))) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, String(value));
  }
  return new Response(null, { status: reply.status, headers });
}

/**
 * Tells @hono/node-server the response is written already. A fresh one of the marker's own class (not
 * the shared marker) so the log line and metrics carry the real status.
 */
function alreadySent(status: number): Response {
  const Marker = RESPONSE_ALREADY_SENT.constructor as typeof Response;
  return new Marker(null, { status, headers: RESPONSE_ALREADY_SENT.headers });
}

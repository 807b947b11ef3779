/**
 * `POST /v1/messages/count_tokens` (also `?beta=true`), for Claude Code and the Anthropic SDKs. The
 * caller's bytes go to the first `anthropic` provider that serves the model (a `models:` alias's targets,
 * or the providers whose `models` match, in chain order) and whose breaker is not open; its answer comes
 * back untouched (keys redacted from errors). With no such provider, or when it cannot be reached, the
 * answer is the gateway's estimate (characters / 4) marked `x-switchyard-estimate: true`. A client key's
 * model allow-list holds here as on `/v1/messages`, and a provider with `client_keys` is sent the
 * caller's own key as there (a `passthrough` one is skipped without it).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ApiError, gatewayError } from '../../core/errors.js';
import { modelRefusal } from '../../core/key-admission.js';
import type { ProviderRuntime } from '../../core/provider-runtime.js';
import type { Gateway } from '../../gateway.js';
import { CallerKeys } from '../../providers/caller-keys.js';
import type { RequestKeys } from '../../providers/request-keys.js';
import { readText } from '../../providers/respond-as-openai.js';
import type { NativeCall, ProviderAdapter, UpstreamResponse } from '../../providers/types.js';
import { Cancel } from '../../routing/cancel.js';
import { resolveCandidates } from '../../routing/candidates.js';
import { admitJson } from '../admission.js';
import { finishRequest, type Preflight, preflight } from '../preflight.js';
import { protocolHeaders } from './door.js';
import { type Headers, sendBody, writeMessagesError } from './render.js';
import { estimateInputTokens } from './token-estimate.js';

/** The path of the door (any query: the SDKs' beta calls add `?beta=true`). */
export const COUNT_TOKENS_PATH = '/v1/messages/count_tokens';
const ROUTE = 'messages/count_tokens';
const INTERNAL = gatewayError('internal_error', 'The gateway hit an internal error.');

/** An adapter that can send a native `count_tokens` request (the anthropic adapter). */
interface CountsTokens {
  countTokens(call: NativeCall): Promise<UpstreamResponse>;
}

const countsTokens = (a: ProviderAdapter): a is ProviderAdapter & CountsTokens => typeof (a as Partial<CountsTokens>).countTokens === 'function';

/**
 * The listener's entry for `POST /v1/messages/count_tokens`: preflight (request id, client key), then
 * the count, forwarded or estimated; errors in Anthropic's envelope.
 *
 * @example
 * if (req.method === 'POST' && path === COUNT_TOKENS_PATH) return serveCountTokens(gateway, req, res);
 */
export function serveCountTokens(gateway: Gateway, req: IncomingMessage, res: ServerResponse): void {
  const p = preflight(gateway, req, true);
  const base: Headers = { 'x-request-id': p.requestId, 'request-id': p.requestId };
  if (p.refused) {
    req.resume();
    writeMessagesError(res, p.refused, p.requestId, base);
    return finishRequest(gateway, p, 'POST', COUNT_TOKENS_PATH, ROUTE, p.refused.status, { error: p.refused.code });
  }
  countTokens(gateway, req, res, p, base).catch((err: Error) => {
    gateway.logger.error({ requestId: p.requestId, err: { name: err.name, message: err.message, stack: err.stack } }, 'unhandled error');
    if (res.headersSent) res.end();
    else writeMessagesError(res, INTERNAL, p.requestId, base);
  });
}

async function countTokens(gateway: Gateway, req: IncomingMessage, res: ServerResponse, p: Preflight, base: Headers): Promise<void> {
  const done = (status: number, extra: Record<string, unknown> = {}) => finishRequest(gateway, p, 'POST', COUNT_TOKENS_PATH, ROUTE, status, extra);
  const fail = (e: ApiError, headers: Headers = {}) => {
    writeMessagesError(res, e, p.requestId, Object.assign({}, headers, base));
    done(e.status, { error: e.code ?? e.type });
  };
  const body = await admitJson(gateway, req, res, fail);
  if (!body) return;
  const parsed = body.json;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return fail(gatewayError('invalid_request', 'The request body must be a JSON object.'));
  const request = parsed as Record<string, unknown>;
  if (typeof request.model !== 'string' || request.model === '') return fail(gatewayError('invalid_request', 'model: Field required', 'model'));
  if (!Array.isArray(request.messages)) return fail(gatewayError('invalid_request', 'messages: Field required', 'messages'));
  const model = request.model;
  const policy = p.caller.policy;
  const denied = modelRefusal(policy, model);
  if (denied) {
    if (policy) gateway.metrics.keyRejected.labels(policy.name, 'model_not_allowed').inc();
    return fail(denied);
  }
  const callerKeys = CallerKeys.fromHeaders(req.headers, policy !== undefined);

  const alias = gateway.view().models[model];
  const candidates = alias ? alias.map((t) => ({ provider: t.provider, model: t.model })) : resolveCandidates(model, gateway.configs, gateway.chain);
  if (candidates.length === 0) return fail(gatewayError('model_not_found', `The model \`${model}\` is not served by any configured provider.`, 'model'));

  for (const c of candidates) {
    const provider = gateway.providers.get(c.provider);
    if (provider?.config.type !== 'anthropic' || provider.breakerState() === 'open' || !countsTokens(provider.adapter)) continue;
    const keys = provider.keysFor(callerKeys);
    if (!keys.usable) continue; // passthrough without the caller's key
    const raw = c.model === model ? body.raw : Buffer.from(JSON.stringify(Object.assign({}, request, { model: c.model })));
    const answer = await forward(
      { provider, adapter: provider.adapter, keys, redact: (text) => provider.redact(text, callerKeys) },
      Object.assign({}, request, { model: c.model }),
      raw,
      req,
      res,
      p.requestId,
      gateway.clock,
    );
    if (!answer) continue; // unreachable: the next one, or the estimate
    sendBody(res, answer.status, answer.body, Object.assign({}, base, { 'x-switchyard-provider': provider.name, 'x-switchyard-model': c.model }));
    return done(answer.status, { provider: provider.name, model: c.model });
  }

  const estimate = JSON.stringify({ input_tokens: estimateInputTokens(request) });
  sendBody(res, 200, estimate, Object.assign({}, base, { 'x-switchyard-estimate': 'true' }));
  done(200, { estimate: true });
}

/** The provider a count goes to, with the keys this request may send it and how its errors are redacted. */
interface CountTarget {
  provider: ProviderRuntime;
  adapter: CountsTokens;
  keys: RequestKeys;
  redact(text: string): string;
}

/** One native count; undefined when the provider could not be reached (transport error, timeout). */
async function forward(
  { provider, adapter, keys, redact }: CountTarget,
  body: Record<string, unknown>,
  raw: Buffer,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  clock: () => number,
): Promise<{ status: number; body: string } | undefined> {
  const cancel = new Cancel();
  const onClose = () => {
    if (!res.writableFinished) cancel.abort();
  };
  res.once('close', onClose);
  const apiKey = keys.pick(clock());
  const call: NativeCall = { protocol: 'anthropic-messages', body, raw, stream: false, requestId, cancel, idleTimeoutMs: provider.config.timeout_ms, apiKey, headers: protocolHeaders(req.headers) };
  try {
    const upstream = await adapter.countTokens(call);
    const text = await readText(upstream.body);
    keys.report(apiKey, upstream.status, clock());
    return { status: upstream.status, body: upstream.status >= 400 ? redact(text) : text };
  } catch {
    return undefined;
  } finally {
    res.off('close', onClose);
  }
}

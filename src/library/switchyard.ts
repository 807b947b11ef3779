import { randomUUID } from 'node:crypto';
import { type LoadedConfig, loadConfigFile, parseConfig } from '../config/load.js';
import { gatewayError } from '../core/errors.js';
import type { GatewayEventName, GatewayListener } from '../core/events.js';
import type { RouteOptions } from '../core/request.js';
import { type Outcome, type Routing, serve } from '../core/serve.js';
import { Gateway } from '../gateway.js';
import { CallerKeys } from '../providers/caller-keys.js';
import type { ClientProvider } from '../providers/sdk-clients/types.js';
import { Cancel } from '../routing/cancel.js';
import { createLogger, type Logger } from '../telemetry/logger.js';
import { costOf, type Usage } from '../telemetry/usage.js';
import { validateRequest } from '../validate/validate.js';
import { ChunkStream } from './chunk-stream.js';
import { Conversation, type ConversationOptions } from './conversation.js';
import { abortedError, fromErrorBody, SwitchyardError } from './errors.js';
import type { CallOptions, ChatCompletion, ChatCompletionChunk, ChatRequest, ProviderStatus, RoutingInfo, StreamOptions } from './types.js';

export interface SwitchyardOptions {
  /** A config file's path, or an object of the config file's shape (`providers`, `routing`, ...). */
  config: string | Record<string, unknown>;
  /** Variables `${VAR}` in the config read from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Where logs go (default: nowhere). */
  logger?: Logger;
  /**
   * Providers given as your own `openai` or `@anthropic-ai/sdk` clients, routed like the config's
   * (after them in the chain unless `priority` or `routing.fallback_chain` says otherwise). With
   * clients, an empty `providers` list does not mean "discover providers from the environment".
   *
   * @example
   * const switchyard = await Switchyard.create({
   *   config: { routing: { strategy: 'priority' }, providers: [] },
   *   clients: [
   *     { name: 'openai', client: new OpenAI({ apiKey, baseURL }), models: ['gpt-4o-mini'] },
   *     { name: 'claude', client: new Anthropic({ apiKey: anthropicKey }), default_model: 'claude-sonnet-4-5' },
   *   ],
   * });
   */
  clients?: readonly ClientProvider[];
}

/** A stream of chunks; `routing` settles when it has ended (rejects as the iteration does). */
export interface ChatStream extends AsyncIterable<ChatCompletionChunk> {
  readonly routing: Promise<RoutingInfo>;
}

/** A call's cancellation: the caller's AbortSignal and `timeoutMs`, as the core's Cancel. */
interface CallCancel {
  cancel: Cancel;
  timedOut(): boolean;
  release(): void;
}

/**
 * switchyard in process: the gateway's routing, failover, breakers and accounting without an HTTP
 * server. Calls answer OpenAI's objects with where they were served; events say what happens as it does.
 *
 * @example
 * const switchyard = await Switchyard.create({ config: './config.yaml' });
 * const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
 * console.log(answer.choices[0]?.message.content, answer.routing.provider, answer.routing.costUsd);
 * await switchyard.close();
 */
export class Switchyard {
  private constructor(private readonly gateway: Gateway) {}

  /**
   * Loads and checks the config (a file path, or an object of its shape) and builds the gateway.
   *
   * @example
   * const switchyard = await Switchyard.create({ config: { providers: [{ name: 'openai', type: 'openai', api_key: '${OPENAI_API_KEY}' }] } });
   */
  static async create(options: SwitchyardOptions): Promise<Switchyard> {
    const env = options.env ?? process.env;
    // Loaded only when used: without clients, nothing of them (nor of the SDKs) is.
    const byoc = options.clients?.length ? (await import('../providers/sdk-clients/index.js')).clientProviders(options.clients) : undefined;
    const load = { env, ...(byoc ? { amend: byoc.amend } : {}) };
    const loaded: LoadedConfig = typeof options.config === 'string' ? loadConfigFile(options.config, load) : parseConfig(JSON.stringify(options.config), '(object)', load);
    const logger = options.logger ?? createLogger('silent', process.stderr);
    return new Switchyard(await Gateway.create(loaded, { logger, ...(byoc ? { adapters: byoc.adapters } : {}) }));
  }

  /**
   * One chat completion, routed: OpenAI's object plus `routing`. Throws a SwitchyardError when it cannot be served.
   *
   * @example
   * const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages }, { strategy: 'cost', timeoutMs: 10_000 });
   */
  async chat(request: ChatRequest, options: CallOptions = {}): Promise<ChatCompletion & { routing: RoutingInfo }> {
    const started = performance.now();
    const call = this.callCancel(options);
    try {
      const outcome = await this.serve({ ...request, stream: false }, options, call);
      if (outcome.kind !== 'answer') throw this.notServed(outcome, call);
      if (outcome.status >= 400) throw fromErrorBody(outcome.status, outcome.body, outcome.routing.tried);
      const answer = JSON.parse(outcome.body.toString('utf8')) as ChatCompletion;
      return Object.assign(answer, { routing: this.routingInfo(outcome.routing, started, outcome.usage) });
    } finally {
      call.release();
    }
  }

  /**
   * A streamed chat completion: iterate its chunks; `routing` settles once it has ended.
   *
   * @example
   * const stream = switchyard.stream({ model: 'gpt-4o-mini', messages }, { onChunk: (c) => process.stdout.write(c.choices[0]?.delta.content ?? '') });
   * for await (const chunk of stream) void chunk;
   * console.log((await stream.routing).provider);
   */
  stream(request: ChatRequest, options: StreamOptions = {}): ChatStream {
    const started = performance.now();
    const call = this.callCancel(options);
    const chunks = this.openStream(request, options, call, started);
    chunks.catch(() => {});
    const routing = chunks.then((c) => c.routing);
    routing.catch(() => {});
    return {
      routing,
      async *[Symbol.asyncIterator]() {
        yield* (await chunks).stream;
      },
    };
  }

  /**
   * A multi-turn chat that keeps its whole history (system, user, assistant, tool messages) and sends it
   * with every turn; each turn is routed, and fails over, like `chat`.
   *
   * @example
   * const chat = switchyard.conversation({ model: 'gpt-4o-mini', system: 'You are terse.' });
   * const reply = await chat.send('What is a switchyard?');
   * console.log(reply.content, reply.routing.provider, chat.history.length); // ... 3
   */
  conversation(options: ConversationOptions): Conversation {
    return new Conversation((request, callOptions) => this.chat(request, callOptions), options);
  }

  /** Listens to the gateway's events: `route`, `failover`, `breaker`, `success`, `failure`. */
  on<K extends GatewayEventName>(name: K, listener: GatewayListener<K>): this {
    this.gateway.events.on(name, listener);
    return this;
  }

  off<K extends GatewayEventName>(name: K, listener: GatewayListener<K>): this {
    this.gateway.events.off(name, listener);
    return this;
  }

  /**
   * Each provider's breaker state, requests, failures and latency percentiles.
   *
   * @example
   * const { alpha } = await switchyard.status(); // { breaker: 'closed', requests: 3, failures: 0, latencyMs: { p50: 12, ... } }
   */
  async status(): Promise<Record<string, ProviderStatus>> {
    const stats = await this.gateway.measurements.stats(this.gateway.clock());
    const out: Record<string, ProviderStatus> = {};
    for (const name of this.gateway.providers.keys()) {
      const s = stats.providers[name];
      const latency = s?.latency_ms;
      out[name] = {
        breaker: this.gateway.breakers.state(name),
        requests: s?.requests ?? 0,
        failures: s?.failures ?? 0,
        latencyMs: { p50: latency?.p50 ?? null, p95: latency?.p95 ?? null, p99: latency?.p99 ?? null },
      };
    }
    return out;
  }

  /** Closes upstream connections and stops background work. */
  async close(): Promise<void> {
    await this.gateway.close();
  }

  private async openStream(request: ChatRequest, options: StreamOptions, call: CallCancel, started: number): Promise<{ stream: ChunkStream; routing: Promise<RoutingInfo> }> {
    let outcome: Outcome;
    try {
      outcome = await this.serve({ ...request, stream: true }, options, call);
    } catch (err) {
      call.release();
      throw err;
    }
    if (outcome.kind !== 'stream') {
      call.release();
      if (outcome.kind === 'answer' && outcome.status >= 400) throw fromErrorBody(outcome.status, outcome.body, outcome.routing.tried);
      throw this.notServed(outcome, call);
    }
    const served = outcome;
    let settle: (r: RoutingInfo) => void = () => {};
    let reject: (e: unknown) => void = () => {};
    const routing = new Promise<RoutingInfo>((res, rej) => {
      settle = res;
      reject = rej;
    });
    routing.catch(() => {});
    const stream = new ChunkStream(
      served.stream,
      options.onChunk,
      (end) => {
        call.release();
        if (end.ok) settle(this.routingInfo(served.routing, started, end.usage));
        else reject(end.error);
      },
      served.routing.tried,
    );
    const stop = () => stream.fail(call.timedOut() ? timeoutError(options.timeoutMs) : abortedError());
    if (call.cancel.aborted) stop();
    else call.cancel.onAbort(stop);
    return { stream, routing };
  }

  private async serve(body: Record<string, unknown>, options: CallOptions, call: CallCancel): Promise<Outcome> {
    const v = validateRequest('chat/completions', body);
    if (!v.ok) throw new SwitchyardError(gatewayError('invalid_request', v.message, v.param));
    const o: RouteOptions = {
      requestId: `req_${randomUUID().replaceAll('-', '')}`,
      client: 'library',
      signal: call.cancel,
      ...(options.strategy !== undefined ? { strategy: options.strategy } : {}),
      ...(options.mode !== undefined ? { mode: options.mode } : {}),
      ...(options.provider !== undefined ? { provider: options.provider } : {}),
      ...(options.session !== undefined ? { session: options.session } : {}),
      ...(options.fallback !== undefined ? { fallback: options.fallback } : {}),
      ...(options.priority !== undefined ? { priority: options.priority } : {}),
      ...(options.prefer !== undefined ? { prefer: [...options.prefer] } : {}),
      ...(options.providerKey !== undefined ? { callerKeys: callerKeysOf(options.providerKey) } : {}),
      ...(options.hedge !== undefined ? { hedge: String(options.hedge) } : {}),
    };
    return serve(this.gateway, { endpoint: 'chat/completions', body: v.body, model: v.model, stream: v.stream }, o);
  }

  private notServed(outcome: Outcome, call: CallCancel): SwitchyardError {
    if (outcome.kind === 'refused') return new SwitchyardError(outcome.error, outcome.tried ?? []);
    if (outcome.kind === 'aborted') return call.timedOut() ? timeoutError(undefined) : abortedError();
    return new SwitchyardError(gatewayError('internal_error', `Unexpected outcome: ${outcome.kind}.`));
  }

  private routingInfo(r: Routing, started: number, usage: Usage | undefined): RoutingInfo {
    const first = r.tried[0];
    const fallback = r.modelFallback || first === undefined || first.provider !== r.provider || first.model !== r.model;
    const costUsd = usage ? costOf(usage, this.gateway.prices.get(r.provider, r.model)) : 0;
    return { provider: r.provider, model: r.model, attempts: r.attempts, fallback, latencyMs: performance.now() - started, costUsd, tried: r.tried };
  }

  private callCancel(options: CallOptions): CallCancel {
    const cancel = new Cancel();
    let timedOut = false;
    const onAbort = () => cancel.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) onAbort();
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            cancel.abort('timeout');
          }, options.timeoutMs)
        : undefined;
    return {
      cancel,
      timedOut: () => timedOut,
      release: () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      },
    };
  }
}

const timeoutError = (ms: number | undefined) => new SwitchyardError(gatewayError('request_timeout', `The call took longer than its timeoutMs${ms !== undefined ? ` (${ms} ms)` : ''}.`));

/** `providerKey`: one key for every provider with `client_keys`, or a key per provider name. */
function callerKeysOf(k: NonNullable<CallOptions['providerKey']>): CallerKeys {
  return typeof k === 'string' ? new CallerKeys(k) : new CallerKeys(undefined, new Map(Object.entries(k)));
}

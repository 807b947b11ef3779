import type { ProviderConfig } from '../config/schema.js';
import type { Cancel } from '../routing/cancel.js';
import { post, type UpstreamAgents } from './http-client.js';
import { readText } from './respond-as-openai.js';
import { ALL_ENDPOINTS, type NativeCall, type NativeProtocol, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from './types.js';

const RESPONSES: ReadonlySet<NativeProtocol> = new Set<NativeProtocol>(['openai-responses']);
const NONE: ReadonlySet<NativeProtocol> = new Set<NativeProtocol>();

/**
 * OpenAI and every OpenAI-compatible server: the body goes upstream as the client sent it (model
 * swapped) and the answer comes back byte for byte.
 */
export class OpenAIAdapter implements ProviderAdapter {
  private readonly url: URL;
  private readonly origin: string;
  private readonly basePath: string;
  readonly endpoints = ALL_ENDPOINTS;

  constructor(
    readonly config: ProviderConfig,
    private readonly agents: UpstreamAgents,
  ) {
    this.url = new URL(config.base_url);
    this.origin = this.url.origin;
    this.basePath = this.url.pathname.replace(/\/+$/, '');
  }

  async listModels(apiKey: string | undefined, cancel: Cancel, timeoutMs: number): Promise<string[]> {
    const body = await this.getJson('/models', apiKey, cancel, timeoutMs);
    const data = (body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data)) throw new Error('the provider answered GET /models without a data list');
    return data.flatMap((m: unknown) => (typeof (m as { id?: unknown })?.id === 'string' ? [(m as { id: string }).id] : []));
  }

  async describeModel(id: string, apiKey: string | undefined, cancel: Cancel, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    const body = await this.getJson(`/models/${encodeURIComponent(id)}`, apiKey, cancel, timeoutMs);
    return body !== null && typeof body === 'object' && typeof (body as { id?: unknown }).id === 'string' ? (body as Record<string, unknown>) : undefined;
  }

  /** A GET answered with JSON; undefined for a 404. */
  private async getJson(path: string, apiKey: string | undefined, cancel: Cancel, timeoutMs: number): Promise<unknown> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const res = await post({ agents: this.agents, origin: this.origin, path: `${this.basePath}${path}`, method: 'GET', headers, cancel, idleTimeoutMs: timeoutMs });
    const text = await readText(res.body);
    if (res.status === 404) return undefined;
    if (res.status < 200 || res.status >= 300) throw new Error(`the provider answered GET ${path} with HTTP ${res.status}`);
    return JSON.parse(text) as unknown;
  }

  /** The Responses API, for `openai` providers only (other OpenAI-compatible servers rarely have it). */
  get nativeProtocols(): ReadonlySet<NativeProtocol> {
    return this.config.type === 'openai' ? RESPONSES : NONE;
  }

  sendNative(call: NativeCall): Promise<UpstreamResponse> {
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: call.stream ? 'text/event-stream' : 'application/json', 'x-request-id': call.requestId };
    if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
    return post({
      agents: this.agents,
      origin: this.origin,
      path: `${this.basePath}/responses`,
      headers,
      body: call.raw ?? JSON.stringify(call.body),
      streamed: call.stream,
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
  }

  send(call: UpstreamCall): Promise<UpstreamResponse> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
      'x-request-id': call.requestId,
    };
    if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
    return post({
      agents: this.agents,
      origin: this.origin,
      path: `${this.basePath}/${call.endpoint}`,
      headers,
      body: call.raw ?? JSON.stringify(this.config.type === 'openai' && 'top_k' in call.body ? withoutTopK(call.body) : call.body),
      streamed: call.stream,
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
  }
}

/** OpenAI's own API refuses `top_k` (an extension other servers take): a translated request leaves it out. */
function withoutTopK(body: Record<string, unknown>): Record<string, unknown> {
  const { top_k: _dropped, ...rest } = body;
  return rest;
}

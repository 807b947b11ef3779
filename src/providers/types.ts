import type { Readable } from 'node:stream';
import type { ProviderConfig } from '../config/schema.js';
import type { Cancel } from '../routing/cancel.js';
import type { Usage } from '../telemetry/usage.js';

export type Endpoint = 'chat/completions' | 'completions' | 'embeddings';

/** What every upstream call carries, whatever the protocol. */
interface CallBase {
  /** The client's body as parsed, unknown fields included; `model` is already the upstream model. */
  body: Record<string, unknown>;
  /** The client's bytes, when `body` is unchanged: sent as they are, without serialising again. */
  raw?: Buffer;
  stream: boolean;
  requestId: string;
  cancel: Cancel;
  /**
   * Longest silence allowed on the connection while a stream is read; 0 for none (a whole answer is
   * read within its attempt's own deadline, so a socket timer per request would only cost CPU).
   */
  idleTimeoutMs: number;
  /** The key for this attempt (chosen by the provider's key ring); undefined: send no credentials. */
  apiKey: string | undefined;
}

export interface UpstreamCall extends CallBase {
  endpoint: Endpoint;
}

/**
 * A protocol a front door speaks that some providers speak natively: a request in it goes to such a
 * provider as the caller's own bytes (only the model may change), and the answer comes back untouched.
 */
export type NativeProtocol = 'anthropic-messages' | 'openai-responses';

/** A request in a native protocol, for a provider that speaks it. */
export interface NativeCall extends CallBase {
  protocol: NativeProtocol;
  /** Protocol headers the caller sent that the provider must see (e.g. `anthropic-version`, `anthropic-beta`). */
  headers: Record<string, string>;
}

/** An upstream answer already in the OpenAI wire format (adapters for other protocols translate). */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /**
   * Translating adapters know a stream's token usage even when the client did not ask for the usage
   * chunk; read once the stream has ended, for accounting.
   */
  streamUsage?: () => Usage | undefined;
}

/**
 * One wire protocol. `send` takes an OpenAI request and gives back an OpenAI answer: adapters for other
 * protocols translate both ways (JSON, event streams ending in `data: [DONE]`, and errors as the OpenAI
 * envelope with the provider's status). Rejects only on transport errors.
 */
export interface ProviderAdapter {
  readonly config: ProviderConfig;
  /** Endpoints it can serve; the planner offers it no others. */
  readonly endpoints: ReadonlySet<Endpoint>;
  send(call: UpstreamCall): Promise<UpstreamResponse>;
  /**
   * The model ids the provider lists itself (for `GET /v1/models` when the config names none). Called in
   * the background, never on a request's path; rejects when the provider cannot list.
   */
  /** Native protocols it passes through untouched (see `NativeProtocol`). */
  readonly nativeProtocols?: ReadonlySet<NativeProtocol>;
  /** Sends a native request as it is; the answer (JSON, event stream or error) comes back untouched. */
  sendNative?(call: NativeCall): Promise<UpstreamResponse>;
  listModels?(apiKey: string | undefined, cancel: Cancel, timeoutMs: number): Promise<string[]>;
  /** One model as the provider describes it (OpenAI's `GET /models/{id}`); undefined when it does not know it. */
  describeModel?(id: string, apiKey: string | undefined, cancel: Cancel, timeoutMs: number): Promise<Record<string, unknown> | undefined>;
}

export const ALL_ENDPOINTS: ReadonlySet<Endpoint> = new Set<Endpoint>(['chat/completions', 'completions', 'embeddings']);
export const CHAT_ONLY: ReadonlySet<Endpoint> = new Set<Endpoint>(['chat/completions']);

import type { Readable } from 'node:stream';
import type { ProviderConfig } from '../config/schema.js';
import type { Cancel } from '../routing/cancel.js';

export type Endpoint = 'chat/completions' | 'completions';

export interface UpstreamCall {
  endpoint: Endpoint;
  /** The client's body as parsed, unknown fields included; `model` is already the upstream model. */
  body: Record<string, unknown>;
  /** The client's bytes, when `body` is unchanged: sent as they are, without serialising again. */
  raw?: Buffer;
  stream: boolean;
  requestId: string;
  cancel: Cancel;
  /** Longest silence allowed between body chunks once the response has started. */
  idleTimeoutMs: number;
}

/** An upstream answer already in the OpenAI wire format (adapters for other protocols translate). */
export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
}

/** One wire protocol. Rejects only on transport errors; HTTP errors come back as responses. */
export interface ProviderAdapter {
  readonly config: ProviderConfig;
  send(call: UpstreamCall): Promise<UpstreamResponse>;
}

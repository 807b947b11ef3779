import { pipeline } from 'node:stream';
import type { ProviderConfig } from '../../config/schema.js';
import { post, type UpstreamAgents } from '../http-client.js';
import { errorUpstreamResponse, jsonUpstreamResponse, readText } from '../respond-as-openai.js';
import { CHAT_ONLY, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from '../types.js';
import { RequestMappingError, toOllamaRequest } from './request.js';
import { errorFromOllama, randomIds, toChatCompletion } from './response.js';
import { OllamaStreamTranslator, ollamaToOpenAIStream } from './stream.js';

/** Upstream headers not to hand on: they describe Ollama's body, not the translated one. */
const BODY_HEADERS = new Set(['content-length', 'content-type', 'content-encoding', 'transfer-encoding', 'connection', 'keep-alive']);

/**
 * Ollama's native chat API (`POST {root}/api/chat`), translated both ways: OpenAI requests become
 * Ollama bodies, Ollama's JSON and NDJSON answers become chat.completion and OpenAI SSE, its
 * `{"error": "..."}` answers become the OpenAI envelope with Ollama's status.
 */
export class OllamaAdapter implements ProviderAdapter {
  readonly endpoints = CHAT_ONLY;
  private readonly url: URL;
  private readonly path: string;

  constructor(
    readonly config: ProviderConfig,
    private readonly agents: UpstreamAgents,
  ) {
    this.url = new URL(config.base_url);
    this.path = `${ollamaRoot(this.url.pathname)}/api/chat`;
  }

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    let body: string;
    try {
      body = JSON.stringify(toOllamaRequest(call.body, call.stream));
    } catch (err) {
      if (err instanceof RequestMappingError) {
        return jsonUpstreamResponse(400, { error: { message: err.message, type: 'invalid_request_error', param: err.param, code: err.code } });
      }
      throw err;
    }
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'application/x-ndjson' : 'application/json',
      'x-request-id': call.requestId,
    };
    // Ollama itself takes no key; a proxy in front of it may.
    if (call.apiKey) headers.authorization = `Bearer ${call.apiKey}`;
    const res = await post({
      agents: this.agents,
      url: this.url,
      path: this.path,
      headers,
      body,
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
    const passed = passHeaders(res.headers);

    if (res.status < 200 || res.status >= 300) {
      const e = errorFromOllama(res.status, await readText(res.body));
      return errorUpstreamResponse(e.status, e.message, e.type, e.code, passed);
    }

    const model = typeof call.body.model === 'string' ? call.body.model : '';
    const ids = randomIds();
    if (!call.stream) {
      const text = await readText(res.body);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const completion = toChatCompletion(parsed, model, ids);
      if (completion) return jsonUpstreamResponse(200, completion, passed);
      // Not an answer: a 200 carrying `{"error": ...}`, or a body that is not Ollama's JSON.
      const reported = typeof parsed === 'object' && parsed !== null && 'error' in parsed ? errorFromOllama(502, text).message : undefined;
      return errorUpstreamResponse(502, reported ?? 'Ollama sent a response that is not a chat answer.', 'server_error', 'bad_upstream_response', passed);
    }

    const streamOptions = call.body.stream_options;
    const includeUsage =
      typeof streamOptions === 'object' && streamOptions !== null && (streamOptions as Record<string, unknown>).include_usage === true;
    const translator = new OllamaStreamTranslator({ model, includeUsage, ids });
    // Decode UTF-8 across chunk boundaries before translating (a character may be split between reads).
    res.body.setEncoding('utf8');
    const out = ollamaToOpenAIStream(translator);
    // Either side failing or closing tears down the other (a client gone closes the upstream socket).
    pipeline(res.body, out, () => undefined);
    return {
      status: 200,
      headers: { ...passed, 'content-type': 'text/event-stream' },
      body: out,
      streamUsage: () => translator.usage,
    };
  }
}

/** The server root from a configured base URL: a trailing `/v1` or `/api` is not part of it. */
export function ollamaRoot(pathname: string): string {
  return pathname.replace(/\/+$/, '').replace(/\/(v1|api)$/, '');
}

function passHeaders(h: UpstreamResponse['headers']): UpstreamResponse['headers'] {
  const out: UpstreamResponse['headers'] = {};
  for (const [k, v] of Object.entries(h)) if (!BODY_HEADERS.has(k.toLowerCase())) out[k] = v;
  return out;
}

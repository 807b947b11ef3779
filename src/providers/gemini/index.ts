import { randomBytes } from 'node:crypto';
import { pipeline, Readable } from 'node:stream';
import type { ProviderConfig } from '../../config/schema.js';
import { post, type UpstreamAgents } from '../http-client.js';
import { jsonUpstreamResponse, readText } from '../respond-as-openai.js';
import { CHAT_ONLY, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from '../types.js';
import { RequestMappingError, toGeminiRequest } from './request.js';
import { errorBody, fromGeminiResponse, mapGoogleError, type ResponseContext } from './response.js';
import { GeminiStreamTranslator, openAIStream } from './stream.js';
import type { GeminiRequest } from './wire.js';

/**
 * Google Gemini's native API (`models/{model}:generateContent`, `:streamGenerateContent?alt=sse`):
 * OpenAI chat requests are translated to Gemini's and the answers, streams and errors back to OpenAI's.
 * The key travels in `x-goog-api-key`, never in the URL.
 */
export class GeminiAdapter implements ProviderAdapter {
  readonly endpoints = CHAT_ONLY;
  private readonly url: URL;
  private readonly basePath: string;

  constructor(
    readonly config: ProviderConfig,
    private readonly agents: UpstreamAgents,
  ) {
    this.url = new URL(config.base_url);
    // base_url carries the API version (…/v1beta); a bare host gets the SDK's default.
    const path = this.url.pathname.replace(/\/+$/, '');
    this.basePath = path === '' ? '/v1beta' : path;
  }

  async send(call: UpstreamCall): Promise<UpstreamResponse> {
    let request: GeminiRequest;
    try {
      request = toGeminiRequest(call.body);
    } catch (err) {
      if (!(err instanceof RequestMappingError)) throw err;
      return jsonUpstreamResponse(400, errorBody(err.message, 'invalid_request_error', 'invalid_value', err.param));
    }
    const model = typeof call.body.model === 'string' ? call.body.model : '';
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: call.stream ? 'text/event-stream' : 'application/json',
    };
    if (call.apiKey) headers['x-goog-api-key'] = call.apiKey;
    const res = await post({
      agents: this.agents,
      url: this.url,
      path: `${this.basePath}/${modelPath(model)}:${call.stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`,
      headers,
      body: JSON.stringify(request),
      cancel: call.cancel,
      idleTimeoutMs: call.idleTimeoutMs,
    });
    const ctx: ResponseContext = {
      id: `chatcmpl-${randomBytes(12).toString('hex')}`,
      created: Math.floor(Date.now() / 1000),
      model,
      newToolCallId: () => `call_${randomBytes(12).toString('hex')}`,
    };

    if (res.status < 200 || res.status >= 300) {
      const mapped = mapGoogleError(res.status, await readText(res.body));
      mapped.body.error.message = redact(mapped.body.error.message, call.apiKey);
      const upstreamRetryAfter = res.headers['retry-after'];
      const retryAfter = typeof upstreamRetryAfter === 'string' ? upstreamRetryAfter : mapped.retryAfter;
      return jsonUpstreamResponse(mapped.status, mapped.body, retryAfter !== undefined ? { 'retry-after': retryAfter } : {});
    }

    if (!call.stream) {
      const text = await readText(res.body);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        // Handed on as it came: the gateway judges it malformed and tries elsewhere.
        return { status: 200, headers: {}, body: Readable.from([Buffer.from(text)]) };
      }
      const { status, body } = fromGeminiResponse(typeof parsed === 'object' && parsed !== null ? parsed : {}, ctx);
      return jsonUpstreamResponse(status, body);
    }

    const includeUsage = (call.body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true;
    const translator = new GeminiStreamTranslator({ ...ctx, includeUsage });
    // Decoded here so that a character split across network chunks reaches the translator whole.
    res.body.setEncoding('utf8');
    const out = pipeline(res.body, openAIStream(translator), () => {
      // Errors reach the consumer through the returned stream.
    });
    return { status: res.status, headers: {}, body: out, streamUsage: () => translator.usage() };
  }
}

/** `gemini-2.5-flash` → `models/gemini-2.5-flash`; `models/…` and `tunedModels/…` names stay as they are. */
function modelPath(model: string): string {
  const name = model.startsWith('models/') || model.startsWith('tunedModels/') ? model : `models/${model}`;
  // Dot segments are escaped too: a model name must never walk the request to another path.
  return name
    .split('/')
    .map((seg) => (/^\.+$/.test(seg) ? seg.replaceAll('.', '%2E') : encodeURIComponent(seg)))
    .join('/');
}

function redact(text: string, key: string | undefined): string {
  return key && key.length >= 8 ? text.split(key).join('[redacted]') : text;
}

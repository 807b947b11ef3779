/**
 * A client request a provider cannot represent: refused with a 400 before anything goes upstream,
 * rather than silently losing part of it. Mappers throw `RequestMappingError` from wherever they find
 * the problem (deep in a message's parts); the definition hands the framework a value, never a throw.
 */

/**
 * Why a request was refused. The message names the field, never the prompt's text.
 *
 * @example
 * const why: UnsupportedRequest = { message: 'Ollama does not fetch image URLs.', param: 'messages[0].content[1].image_url.url', code: 'image_url_not_supported' };
 */
export interface UnsupportedRequest {
  message: string;
  /** The field at fault, as an OpenAI `param` (`messages[1].content[0]`). */
  param: string | null;
  code: string;
}

/**
 * A request mapping's result: the provider's body, or why there is none.
 *
 * @example
 * const mapped: RequestTranslation<AnthropicRequest> = toAnthropicRequest(body, false);
 * if (!mapped.ok) console.log(mapped.param, mapped.code);
 */
export type RequestTranslation<ProviderRequest> = { ok: true; body: ProviderRequest } | ({ ok: false } & UnsupportedRequest);

/**
 * Thrown inside a request mapper when the request cannot be represented; `tryMapRequest` turns it into
 * a value.
 *
 * @example
 * throw new RequestMappingError('This provider returns one choice per request: `n` must be 1.', 'n');
 */
export class RequestMappingError extends Error implements UnsupportedRequest {
  constructor(
    message: string,
    readonly param: string | null,
    readonly code = 'unsupported_parameter',
  ) {
    super(message);
    this.name = 'RequestMappingError';
  }
}

/**
 * Runs a request mapper; a RequestMappingError becomes `{ ok: false, message, param, code }`, any other
 * error (a bug) is thrown on.
 *
 * @example
 * tryMapRequest(() => ({ model: 'm' }));                                   // { ok: true, body: { model: 'm' } }
 * tryMapRequest(() => { throw new RequestMappingError('no audio', 'messages[0]'); });
 * // { ok: false, message: 'no audio', param: 'messages[0]', code: 'unsupported_parameter' }
 */
export function tryMapRequest<ProviderRequest>(map: () => ProviderRequest): RequestTranslation<ProviderRequest> {
  try {
    return { ok: true, body: map() };
  } catch (err) {
    if (!(err instanceof RequestMappingError)) throw err;
    return { ok: false, message: err.message, param: err.param, code: err.code };
  }
}

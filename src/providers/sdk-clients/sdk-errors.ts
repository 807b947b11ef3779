/**
 * What an error thrown by an SDK client (`openai`, `@anthropic-ai/sdk`) means to switchyard, so that a
 * client provider's failures are classified like those of its own adapters (routing/classify.ts). Pure:
 * no I/O. The SDK's classes are taken from the client's constructor (both SDKs hang them there), so
 * nothing is imported from either package.
 */

/** A constructor `instanceof` can test against. */
type ErrorClass = abstract new (...args: never[]) => object;

/**
 * The SDK's error classes (each optional: without them, errors are read by their shape).
 *
 * @example
 * const classes = sdkErrorClasses(new OpenAI({ apiKey }));
 */
export interface SdkErrorClasses {
  APIError?: ErrorClass;
  APIConnectionError?: ErrorClass;
  APIConnectionTimeoutError?: ErrorClass;
  APIUserAbortError?: ErrorClass;
}

/**
 * An SDK failure in switchyard's terms.
 * - `status`: the provider answered with an HTTP error: classified by its status (429/5xx/529/408 fail
 *   over and count; 400/422 are the caller's), with the provider's error body and headers.
 * - `event`: the provider sent an error event in a stream (no status): its body.
 * - `timeout`, `connection`: no answer; fail over and count (`code`: the network error's, when known).
 * - `aborted`: the request's signal fired.
 * - `other`: anything else (a bug, a body that did not parse): the error as thrown.
 *
 * @example
 * const failure: SdkFailure = { kind: 'status', status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '1' } };
 */
export type SdkFailure =
  | { kind: 'status'; status: number; body: unknown; headers: Record<string, string> }
  | { kind: 'event'; body: unknown }
  | { kind: 'timeout' }
  | { kind: 'connection'; code: string }
  | { kind: 'aborted' }
  | { kind: 'other'; error: unknown };

const CLASS_NAMES = ['APIError', 'APIConnectionError', 'APIConnectionTimeoutError', 'APIUserAbortError'] as const;

/**
 * The error classes of the SDK a client comes from (statics of its constructor).
 *
 * @example
 * sdkErrorClasses(new Anthropic({ apiKey })).APIError === Anthropic.APIError; // true
 */
export function sdkErrorClasses(client: object): SdkErrorClasses {
  const ctor: unknown = client.constructor;
  const out: SdkErrorClasses = {};
  if (typeof ctor !== 'function') return out;
  for (const name of CLASS_NAMES) {
    const cls: unknown = Reflect.get(ctor, name);
    if (typeof cls === 'function') out[name] = cls as ErrorClass;
  }
  return out;
}

/**
 * Maps one thrown value to its failure. Order matters: the SDKs' timeout error is a connection error,
 * and both (and the abort error) are API errors without a status.
 *
 * @example
 * classifySdkError(new OpenAI.APIConnectionTimeoutError(), sdkErrorClasses(client)); // { kind: 'timeout' }
 * classifySdkError(OpenAI.APIError.generate(503, { error: { message: 'down' } }, undefined, new Headers()), classes);
 * // { kind: 'status', status: 503, body: { message: 'down' }, headers: {} }
 */
export function classifySdkError(err: unknown, classes: SdkErrorClasses): SdkFailure {
  if (typeof err !== 'object' || err === null) return { kind: 'other', error: err };
  const is = (cls: ErrorClass | undefined, name: string) => (cls ? err instanceof cls : err.constructor?.name === name);
  if (is(classes.APIUserAbortError, 'APIUserAbortError') || (err as { name?: unknown }).name === 'AbortError') return { kind: 'aborted' };
  if (is(classes.APIConnectionTimeoutError, 'APIConnectionTimeoutError')) return { kind: 'timeout' };
  if (is(classes.APIConnectionError, 'APIConnectionError')) return { kind: 'connection', code: causeCode(err) ?? 'APIConnectionError' };
  const status: unknown = Reflect.get(err, 'status');
  const body: unknown = Reflect.get(err, 'error');
  if (typeof status === 'number' && status >= 400) return { kind: 'status', status, body, headers: headerRecord(Reflect.get(err, 'headers')) };
  if (is(classes.APIError, 'APIError')) return body === undefined ? { kind: 'other', error: err } : { kind: 'event', body };
  // A body cut while it was read (fetch's "terminated", a socket error) reaches the caller as it is.
  const code = causeCode(err);
  return code ? { kind: 'connection', code } : { kind: 'other', error: err };
}

/**
 * An Error carrying the code the attempt loop's `failureFromError` reads, for failures that are not an
 * answer: a timeout, a connection failure, an abort, or anything else (counted like a cut connection).
 *
 * @example
 * failureFromError(transportError({ kind: 'connection', code: 'ECONNREFUSED' })); // { kind: 'connect', detail: 'ECONNREFUSED' }
 */
export function transportError(f: Exclude<SdkFailure, { kind: 'status' } | { kind: 'event' }>): Error & { code: string } {
  const [message, code] =
    f.kind === 'timeout'
      ? ['the client timed out', 'ETIMEDOUT']
      : f.kind === 'connection'
        ? ['the client could not reach the provider', f.code]
        : f.kind === 'aborted'
          ? ['aborted', 'ABORTED']
          : ['the client failed', errorName(f.error)];
  return Object.assign(new Error(message), { code });
}

/** The first string `code` along an error's `cause` chain (fetch puts the socket's there). */
function causeCode(err: object): string | undefined {
  let at: unknown = err;
  for (let depth = 0; depth < 5 && typeof at === 'object' && at !== null; depth++) {
    const code: unknown = Reflect.get(at, 'code');
    if (typeof code === 'string' && code !== '') return code;
    at = Reflect.get(at, 'cause');
  }
  return undefined;
}

/** The error's class name (never its message: it may quote the provider). */
function errorName(err: unknown): string {
  const name = typeof err === 'object' && err !== null ? Reflect.get(err, 'name') : undefined;
  return typeof name === 'string' && name !== '' ? name : 'error';
}

/** A fetch `Headers` (or any object with `forEach`) as a plain record with lower-case names. */
export function headerRecord(headers: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const forEach: unknown = typeof headers === 'object' && headers !== null ? Reflect.get(headers, 'forEach') : undefined;
  if (typeof forEach !== 'function') return out;
  (forEach as (cb: (value: unknown, name: unknown) => void) => void).call(headers, (value, name) => {
    if (typeof value === 'string' && typeof name === 'string') out[name.toLowerCase()] = value;
  });
  return out;
}

/**
 * What the two client adapters share: one SDK request under the attempt's cancel, SDK errors turned
 * into what switchyard's own adapters give (an error answer with the provider's status, or a thrown
 * network-style error), and an SDK stream turned into the protocol's event-stream text, which ends with
 * the protocol's end or an error (never silently).
 */
import { Readable } from 'node:stream';
import type { ProviderConfig } from '../../config/schema.js';
import { IDLE_TIMEOUT } from '../http-client.js';
import { KeyRedaction, type Redact } from '../translating/key-redaction.js';
import { CHAT_ONLY, type Endpoint, type ProviderAdapter, type UpstreamCall, type UpstreamResponse } from '../types.js';
import { classifySdkError, type SdkErrorClasses, type SdkFailure, sdkErrorClasses, transportError } from './sdk-errors.js';
import type { SdkClient, SdkRequestOptions } from './types.js';

/** An SDK request's outcome: its value, or the provider's error answer (status, body, headers). */
export type Sent<T> = { ok: true; value: T; controller: AbortController } | { ok: false; failure: Extract<SdkFailure, { kind: 'status' }> };

/**
 * Turns an SDK stream's items into event-stream text.
 *
 * @example
 * const frames: StreamFrames = { event: (chunk) => `data: ${JSON.stringify(chunk)}\n\n`, error: (body) => `data: ${JSON.stringify({ error: body })}\n\n` };
 */
export interface StreamFrames {
  /** One item of the stream. */
  event(item: unknown): string;
  /** The provider's in-stream error event (its body as the SDK gives it). */
  error(body: unknown): string;
}

/**
 * Base of a ProviderAdapter that calls an SDK client instead of switchyard's HTTP client. The client's
 * own key never reaches switchyard's config; it is read only to remove it from error text.
 *
 * @example
 * class ToyClientAdapter extends SdkClientAdapter<ToyClient> {
 *   async send(call: UpstreamCall) {
 *     const sent = await this.request(call, (options) => this.client.create(call.body, options));
 *     return sent.ok ? jsonUpstreamResponse(200, sent.value) : toyError(sent.failure);
 *   }
 * }
 */
export abstract class SdkClientAdapter<Client extends SdkClient> implements ProviderAdapter {
  readonly endpoints: ReadonlySet<Endpoint> = CHAT_ONLY;
  private readonly classes: SdkErrorClasses;
  private readonly redaction = new KeyRedaction();

  constructor(
    readonly config: ProviderConfig,
    protected readonly client: Client,
  ) {
    this.classes = sdkErrorClasses(client);
  }

  abstract send(call: UpstreamCall): Promise<UpstreamResponse>;

  /** Removes the client's key (and Anthropic's auth token) from text, as they are now. */
  protected redact(): Redact {
    const secrets = [this.client.apiKey, 'authToken' in this.client ? this.client.authToken : undefined];
    const redactions = secrets.flatMap((s) => (typeof s === 'string' && s !== '' ? [this.redaction.of(s)] : []));
    return (text) => redactions.reduce((t, r) => r(t), text);
  }

  /**
   * One SDK request, aborted with the call (a stream's too, for as long as it is read: the call's
   * cancel belongs to this one attempt). An error answer comes back as `ok: false`; every other
   * failure is thrown as the network error it amounts to (see `transportError`).
   */
  protected async request<T>(call: UpstreamCall, send: (options: SdkRequestOptions) => PromiseLike<T>): Promise<Sent<T>> {
    const controller = new AbortController();
    const abort = () => controller.abort();
    if (call.cancel.aborted) abort();
    else call.cancel.onAbort(abort);
    try {
      const value = await send({ signal: controller.signal, headers: { 'x-request-id': call.requestId } });
      return { ok: true, value, controller };
    } catch (err) {
      call.cancel.offAbort(abort);
      const failure = classifySdkError(err, this.classes);
      if (failure.kind === 'status') return { ok: false, failure };
      throw failure.kind === 'event' ? transportError({ kind: 'other', error: err }) : transportError(failure);
    }
  }

  /**
   * An SDK stream as event-stream text: each item framed as it arrives; an error event from the
   * provider framed as the protocol's error event; a connection failure, an abort or a silence longer
   * than the provider's timeout errors the body (before anything was judged, the gateway fails over).
   * Destroying the body aborts the SDK's request.
   */
  protected streamBody(items: unknown, controller: AbortController, call: UpstreamCall, frames: StreamFrames): Readable {
    if (!isAsyncIterable(items)) return Readable.from([frames.error({ message: 'The client did not return a stream.' })]);
    const source = items;
    const classes = this.classes;
    const redact = this.redact();
    let idle = false;
    let timer: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        controller.abort();
      }, call.idleTimeoutMs);
    };
    async function* text(): AsyncGenerator<string> {
      arm();
      try {
        for await (const item of source) {
          arm();
          yield frames.event(item);
        }
      } catch (err) {
        const failure = classifySdkError(err, classes);
        if (failure.kind === 'event') {
          yield redact(frames.error(failure.body));
          return;
        }
        if (failure.kind !== 'aborted') throw failure.kind === 'status' ? transportError({ kind: 'other', error: err }) : transportError(failure);
      } finally {
        clearTimeout(timer);
      }
      // The SDKs end an aborted stream without a throw: say so, or the end would look like a whole answer.
      if (controller.signal.aborted) throw idle ? Object.assign(new Error('upstream idle timeout'), { code: IDLE_TIMEOUT }) : transportError({ kind: 'aborted' });
    }
    // Not Readable.from: its destroy waits for the pending read, and so for the provider's next event.
    const iterator = text();
    const body: Readable = new Readable({
      read() {
        iterator.next().then(
          (r) => body.push(r.done ? null : r.value),
          (err: Error) => body.destroy(err),
        );
      },
      destroy(err, callback) {
        controller.abort();
        iterator.return(undefined).catch(() => undefined);
        callback(err);
      },
    });
    return body;
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof Reflect.get(value, Symbol.asyncIterator) === 'function';
}

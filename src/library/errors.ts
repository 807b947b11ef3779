import type { ApiError, ErrorType } from '../core/errors.js';
import type { AttemptRecord } from '../routing/attempt-loop.js';

/**
 * A call the gateway could not serve: the error it would have answered over HTTP (status, code, type,
 * message), and what was tried.
 *
 * @example
 * try {
 *   await switchyard.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
 * } catch (err) {
 *   if (err instanceof SwitchyardError) console.log(err.status, err.code, err.tried);
 * }
 */
export class SwitchyardError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly type: ErrorType | string;
  readonly param: string | null;
  readonly tried: AttemptRecord[];

  constructor(error: ApiError | { status: number; message: string; type: string; code: string | null; param?: string | null }, tried: AttemptRecord[] = []) {
    super(error.message);
    this.name = 'SwitchyardError';
    this.status = error.status;
    this.code = error.code;
    this.type = error.type;
    this.param = error.param ?? null;
    this.tried = tried;
  }
}

/** The error of a call its caller aborted. */
export const abortedError = (): SwitchyardError => new SwitchyardError({ status: 499, type: 'invalid_request_error', code: 'request_aborted', message: 'The call was aborted.' });

/** A provider's error answer (OpenAI's envelope) as a SwitchyardError. */
export function fromErrorBody(status: number, body: Buffer | string, tried: AttemptRecord[]): SwitchyardError {
  try {
    const parsed = JSON.parse(body.toString()) as { error?: { message?: unknown; type?: unknown; code?: unknown; param?: unknown } };
    const e = parsed.error;
    if (e && typeof e.message === 'string') {
      const code = typeof e.code === 'string' ? e.code : typeof e.code === 'number' ? String(e.code) : null;
      const param = typeof e.param === 'string' ? e.param : null;
      return new SwitchyardError({ status, message: e.message, type: typeof e.type === 'string' ? e.type : 'server_error', code, param }, tried);
    }
  } catch {
    // not JSON: the generic error below
  }
  return new SwitchyardError({ status, message: `The provider answered HTTP ${status}.`, type: 'server_error', code: null }, tried);
}

type Listener = (reason: unknown) => void;

/**
 * A one-shot cancellation signal: `abort` calls each listener once, in the order they were added.
 * Neither an AbortController (Node's EventTarget costs several µs per request) nor an EventEmitter
 * (its set-up and `once` wrappers are paid twice per request, for the client's signal and the
 * attempt's): a request holds one or two listeners, in a plain array.
 *
 * @example
 * const cancel = new Cancel();
 * cancel.onAbort((reason) => socket.destroy());
 * cancel.abort('client gone');
 */
export class Cancel {
  aborted = false;
  reason: unknown = undefined;
  private listeners: Listener[] | undefined;

  /** Calls `fn` once when aborted; never when added after the abort (check `aborted` first). */
  onAbort(fn: Listener): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(fn);
  }

  /** Removes `fn` (one registration of it); nothing when it is not there. */
  offAbort(fn: Listener): void {
    const list = this.listeners;
    if (!list) return;
    const i = list.lastIndexOf(fn);
    if (i >= 0) list.splice(i, 1);
  }

  /** Listeners still waiting for the abort. */
  get listening(): number {
    return this.listeners?.length ?? 0;
  }

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const list = this.listeners;
    this.listeners = undefined;
    if (list) for (const fn of list) fn(reason);
  }
}

import { EventEmitter } from 'node:events';

/**
 * A one-shot cancellation signal. An EventEmitter rather than an AbortController: Node's EventTarget
 * costs several microseconds per request, and nothing here needs its web semantics.
 */
export class Cancel extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason?: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort', reason);
  }
}

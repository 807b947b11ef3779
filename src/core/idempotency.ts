import { createHash } from 'node:crypto';
import type { Gateway } from '../gateway.js';
import type { StoredAnswer } from '../state/idempotency-store.js';
import { type ApiError, gatewayError } from './errors.js';

/** Headers of an answer worth replaying (not hop-by-hop ones, not the request id). */
const KEPT = /^(content-type|x-switchyard-|x-ratelimit-|retry-after)/;

/** How many times a holder renews its lock at most: one that somehow never settles must not keep the key for good. */
const MAX_RENEWALS = 20;

/** A request that holds an Idempotency-Key lock: it must end in `store` or `abandon`. */
export class IdempotentRequest {
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;
  private readonly renewal: NodeJS.Timeout;

  constructor(
    private readonly gateway: Gateway,
    private readonly scope: string,
    private readonly key: string,
    private readonly fingerprint: string,
    /** Proves this request holds the lock: only its holder may renew, store under or release it. */
    private readonly token: string,
    lockMs: number,
  ) {
    // A stream may run past the lock's first grant: keep the lock while the request runs, so that no
    // waiting duplicate takes it over and calls the provider a second time.
    let renewals = 0;
    this.renewal = setInterval(
      () => {
        if (++renewals > MAX_RENEWALS) return clearInterval(this.renewal);
        void gateway.idempotency.renew(scope, key, token, lockMs);
      },
      Math.max(lockMs / 2, 100),
    );
    this.renewal.unref();
  }

  /** Keeps a copy of a streamed chunk (up to the configured size; beyond, the answer is not stored). */
  tap = (chunk: Buffer | string): void => {
    if (this.size > this.gateway.config.idempotency.max_body_bytes) return;
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    this.size += b.length;
    this.chunks.push(b);
  };

  store(status: number, headers: Record<string, string | number>, body?: Buffer): void {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.renewal);
    const all = body ?? Buffer.concat(this.chunks);
    if (all.length > this.gateway.config.idempotency.max_body_bytes) return void this.release();
    // A whole answer is JSON (streams say text/event-stream): a replay must say so, or SDKs read text.
    const kept: Record<string, string> = { 'content-type': 'application/json' };
    for (const [k, v] of Object.entries(headers)) if (KEPT.test(k)) kept[k] = String(v);
    const answer: StoredAnswer = { status, headers: kept, body: all.toString('utf8'), fingerprint: this.fingerprint };
    void this.gateway.idempotency.complete(this.scope, this.key, this.token, answer, this.gateway.config.idempotency.ttl_seconds * 1000);
  }

  abandon(): void {
    if (this.settled) return;
    this.settled = true;
    clearInterval(this.renewal);
    this.release();
  }

  private release(): void {
    void this.gateway.idempotency.abandon(this.scope, this.key, this.token);
  }
}

/** What an Idempotency-Key decides before anything is routed. */
export type IdempotencyAdmission =
  /** Route it; with `lock`, this request holds the key and must end in `store` or `abandon`. */
  | { kind: 'proceed'; lock?: IdempotentRequest }
  /** A repeat: the stored answer is the answer. */
  | { kind: 'replay'; answer: StoredAnswer }
  | { kind: 'refused'; error: ApiError; retryAfterS?: number };

/**
 * Idempotency-Key: a repeat within the TTL gets the stored answer (streams replayed), a concurrent
 * duplicate waits for the first to finish, and a key reused with another body is refused. Each look is
 * the store's atomic look-up-or-lock: a duplicate that finds the lock waits for it to go and looks
 * again, finding the answer or (the holder failed) taking the lock over itself, until the deadline.
 *
 * @example
 * const a = await admitIdempotent(gateway, 'key-abc', 'order-42', rawBody, 120_000);
 * if (a.kind === 'replay') return a.answer;
 */
export async function admitIdempotent(gateway: Gateway, scope: string, key: string, raw: Buffer, deadlineMs: number): Promise<IdempotencyAdmission> {
  if (key.length === 0 || key.length > 255) {
    return { kind: 'refused', error: gatewayError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters.', 'Idempotency-Key') };
  }
  const fingerprint = createHash('sha256').update(raw).digest('base64url');
  const until = Date.now() + deadlineMs;
  for (;;) {
    const begin = await gateway.idempotency.begin(scope, key, deadlineMs);
    if (begin.kind === 'new') return { kind: 'proceed', lock: new IdempotentRequest(gateway, scope, key, fingerprint, begin.token, deadlineMs) };
    if (begin.kind === 'stored') {
      if (begin.answer.fingerprint !== fingerprint) {
        return { kind: 'refused', error: gatewayError('idempotency_key_reused', 'This Idempotency-Key was used with a different request body.', 'Idempotency-Key') };
      }
      gateway.metrics.idempotencyHits.inc();
      return { kind: 'replay', answer: begin.answer };
    }
    const left = until - Date.now();
    if (left <= 0) break;
    await gateway.idempotency.wait(scope, key, left);
  }
  return { kind: 'refused', error: gatewayError('idempotency_key_in_use', 'A request with this Idempotency-Key is still in progress.', 'Idempotency-Key'), retryAfterS: 1 };
}

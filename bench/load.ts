/** Load loops (undici) and the little statistics the bench needs. */
import type { Client, Dispatcher, Pool } from 'undici';

export const CHAT_PATH = '/v1/chat/completions';
export const CHAT_BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
export const STREAM_BODY = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
/** Request headers; a phase may add its own (a client key), or make them per request (an Idempotency-Key). */
export const HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

type Target = Pool | Client;

/** Headers for every request alike, or made anew for each one. */
export type RequestHeaders = Readonly<Record<string, string>> | (() => Record<string, string>);

/** Counts requests that did not end in a 200 with a plausible body, by reason. */
export class Errors {
  readonly byReason = new Map<string, number>();
  total = 0;
  requests = 0;

  add(reason: string): void {
    this.total += 1;
    this.byReason.set(reason, (this.byReason.get(reason) ?? 0) + 1);
  }

  merge(other: Errors): void {
    this.requests += other.requests;
    for (const [k, v] of other.byReason) {
      this.total += v;
      this.byReason.set(k, (this.byReason.get(k) ?? 0) + v);
    }
  }

  summary(): string {
    if (this.total === 0) return 'none';
    return [...this.byReason].map(([k, v]) => `${v} x ${k}`).join('; ');
  }
}

/** Sorted-sample percentile (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

export interface Latency {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

export function summarize(samples: number[]): Latency {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s[s.length - 1] ?? Number.NaN, n: s.length };
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? Number.NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** A transport error in a word: its code when it has one, else its message. */
export function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : String(e.message ?? err);
}

/** One non-streaming chat request; true when it was a 200 with a chat.completion body. */
export async function chatOnce(target: Target, errors: Errors, headers: RequestHeaders = HEADERS): Promise<boolean> {
  errors.requests += 1;
  try {
    const res: Dispatcher.ResponseData = await target.request({ path: CHAT_PATH, method: 'POST', headers: typeof headers === 'function' ? headers() : headers, body: CHAT_BODY });
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      errors.add(`status ${res.statusCode}`);
      return false;
    }
    if (!text.includes('"chat.completion"')) {
      errors.add('200 without a chat.completion body');
      return false;
    }
    return true;
  } catch (err) {
    errors.add(describe(err));
    return false;
  }
}

/** Closed loop: `concurrency` workers, each sending its next request as soon as the last one ends. */
export function closedLoop(pool: Pool, concurrency: number, seconds: number, errors: Errors, headers: RequestHeaders = HEADERS): Promise<{ completed: number; seconds: number }> {
  return loopFor(concurrency, seconds, () => chatOnce(pool, errors, headers));
}

/**
 * The body of a streaming chat request for the streaming fake upstream (bench/stream-upstream.ts):
 * `events` events `gapMs` apart.
 */
export const streamBody = (events: number, gapMs: number): string =>
  JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, bench_chunks: events, bench_gap_ms: gapMs });

/** One streaming chat request read to its end; true when it was a 200 that ended with `[DONE]`. */
export async function streamOnce(target: Target, body: string, errors: Errors): Promise<boolean> {
  errors.requests += 1;
  try {
    const res = await target.request({ path: CHAT_PATH, method: 'POST', headers: HEADERS, body });
    const text = await res.body.text();
    if (res.statusCode !== 200) errors.add(`stream: status ${res.statusCode}`);
    else if (!text.includes('[DONE]')) errors.add('stream: no [DONE]');
    else return true;
  } catch (err) {
    errors.add(`stream: ${describe(err)}`);
  }
  return false;
}

/** Closed loop of streams (`body`, from `streamBody`): `concurrency` at a time for `seconds`. */
export function streamLoop(pool: Pool, concurrency: number, seconds: number, body: string, errors: Errors): Promise<{ completed: number; seconds: number }> {
  return loopFor(concurrency, seconds, () => streamOnce(pool, body, errors));
}

/** `concurrency` workers calling `once` back to back for `seconds`; completed counts every call that ended. */
async function loopFor(concurrency: number, seconds: number, once: () => Promise<boolean>): Promise<{ completed: number; seconds: number }> {
  const start = performance.now();
  const stopAt = start + seconds * 1000;
  let completed = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      await once();
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { completed, seconds: (performance.now() - start) / 1000 };
}

/** `count` requests one after another; latency from send to the last body byte, in ms. */
export async function sequential(client: Client, count: number, errors: Errors, headers: RequestHeaders = HEADERS): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const ok = await chatOnce(client, errors, headers);
    if (ok) samples.push(performance.now() - t0);
  }
  return samples;
}

/**
 * Open loop: request i is due at start + i/rate, sent by a 1 ms timer whatever the previous ones do.
 * Latency is measured from the scheduled time (so timer lag and queueing both count), in ms.
 */
export async function openLoop(pool: Pool, rate: number, seconds: number, errors: Errors): Promise<{ samples: number[]; sent: number; seconds: number }> {
  const total = Math.max(1, Math.round(rate * seconds));
  const interval = 1000 / rate;
  const start = performance.now() + 2;
  const samples: number[] = [];
  const inflight: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) {
        const due = start + sent * interval;
        sent += 1;
        inflight.push(
          chatOnce(pool, errors).then((ok) => {
            if (ok) samples.push(performance.now() - due);
          }),
        );
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    setTimeout(tick, 1);
  });
  const sendSeconds = (performance.now() - start) / 1000;
  await Promise.all(inflight);
  return { samples, sent, seconds: sendSeconds };
}

/** Sequential streaming requests; ms from send to the first body chunk. Each stream must end with [DONE]. */
export async function firstChunk(client: Client, count: number, errors: Errors): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    errors.requests += 1;
    const t0 = performance.now();
    try {
      const res = await client.request({ path: CHAT_PATH, method: 'POST', headers: HEADERS, body: STREAM_BODY });
      let first = Number.NaN;
      let text = '';
      for await (const chunk of res.body) {
        if (Number.isNaN(first)) first = performance.now() - t0;
        text += (chunk as Buffer).toString('utf8');
      }
      if (res.statusCode !== 200) errors.add(`stream status ${res.statusCode}`);
      else if (!text.includes('data: [DONE]')) errors.add('stream without [DONE]');
      else samples.push(first);
    } catch (err) {
      errors.add(`stream ${describe(err)}`);
    }
  }
  return samples;
}

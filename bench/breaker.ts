/**
 * Breaker propagation through Redis: two gateways (A, B) share one Redis; provider `dead` points at a
 * port where nothing listens, so one request through A (failure_threshold 1) opens A's breaker for it,
 * and the request still succeeds on the second provider. We time how long B takes to show it open.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'undici';
import { CHAT_BODY, CHAT_PATH, describe, percentile } from './load.js';
import { freePort, spawnNode, waitHealthy } from './proc.js';
import { numsub, type RedisView, redisView } from './redis.js';

export const DEAD_PROVIDER = 'dead';
const JSON_HEADERS = { 'content-type': 'application/json' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface BreakerOptions {
  cli: string;
  tempDir: string;
  upstreamPort: number;
  redisUrl: string;
  /** The same server's port, to ask it how many instances subscribe to the breaker channel. */
  redisPort: number;
  trials: number;
  /** Upper bound on each wait of a trial (reset seen by B, open seen by B), ms. */
  trialTimeoutMs: number;
  /** No new trial starts after this long in the phase (trials left are reported as not run), ms. */
  phaseBudgetMs: number;
}

export interface BreakerResult {
  trials: number;
  /** Trials started before the phase budget ran out. */
  run: number;
  /** ms from A's response (last body byte) to the first B /health answer showing `open`. */
  fromResponse: number[];
  /** ms from sending the request to A to the same B answer. */
  fromSend: number[];
  /** B /health polls per measured trial (the first poll already showing open counts 1). */
  polls: number[];
  timeouts: number;
  timeoutReasons: Record<string, number>;
  failedRequests: number;
  failureReasons: Record<string, number>;
  deadPort: number;
  pids: { a: number; b: number };
  /** A's and B's own account of their Redis after the trials (or why it could not be read). */
  views: { a: RedisView | string; b: RedisView | string };
  /** Subscribers of the breaker channel (PUBSUB NUMSUB) once both answered /health, and after the trials; 2 = both A and B. */
  subscribers: { before: number | undefined; after: number | undefined };
}

export const BREAKER_PREFIX = 'bench-breaker:';
export const BREAKER_CHANNEL = `${BREAKER_PREFIX}breaker-events`;

export interface Spread {
  p50: number;
  p95: number;
  max: number;
  n: number;
}

export function spread(samples: readonly number[]): Spread {
  const s = [...samples].sort((x, y) => x - y);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s[s.length - 1] ?? Number.NaN, n: s.length };
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** The circuit state /health reports for `provider`, or undefined when the answer is unusable. */
async function circuitOf(client: Client, provider: string): Promise<string | undefined> {
  const res = await client.request({ path: '/health', method: 'GET' });
  const body: unknown = await res.body.json();
  if (typeof body !== 'object' || body === null) return undefined;
  const providers = (body as { providers?: unknown }).providers;
  if (typeof providers !== 'object' || providers === null) return undefined;
  const entry = (providers as Record<string, unknown>)[provider];
  if (typeof entry !== 'object' || entry === null) return undefined;
  const circuit = (entry as { circuit?: unknown }).circuit;
  return typeof circuit === 'string' ? circuit : undefined;
}

/** Sequential GET /health every 1 ms until `provider` shows `want` or `deadline` passes; when seen and polls. */
async function pollFor(client: Client, provider: string, want: string, deadline: number): Promise<{ at: number | undefined; polls: number }> {
  let polls = 0;
  for (;;) {
    let state: string | undefined;
    try {
      state = await circuitOf(client, provider);
    } catch {
      state = undefined;
    }
    polls += 1;
    const now = performance.now();
    if (state === want) return { at: now, polls };
    if (now >= deadline) return { at: undefined, polls };
    await sleep(1);
  }
}

export async function breakerPropagation(o: BreakerOptions): Promise<BreakerResult> {
  const deadPort = await freePort(); // nothing listens here: connection refused, a breaker failure
  const configFile = join(o.tempDir, 'breaker.yaml');
  writeFileSync(
    configFile,
    [
      'server:',
      '  host: 127.0.0.1',
      'providers:',
      `  - name: ${DEAD_PROVIDER}`,
      '    type: openai_compatible',
      `    base_url: http://127.0.0.1:${deadPort}/v1`,
      '    api_key: sk-bench',
      '  - name: bench',
      '    type: openai_compatible',
      `    base_url: http://127.0.0.1:${o.upstreamPort}/v1`,
      '    api_key: sk-bench',
      'circuit_breaker:',
      '  failure_threshold: 1',
      '  cooldown_seconds: 60',
      'redis:',
      `  url: ${o.redisUrl}`,
      `  key_prefix: "${BREAKER_PREFIX}"`,
      'logging:',
      '  level: error',
      '',
    ].join('\n'),
  );
  const [portA, portB] = [await freePort(), await freePort()];
  const childA = spawnNode(o.cli, ['serve', '--config', configFile, '--port', String(portA)]);
  const childB = spawnNode(o.cli, ['serve', '--config', configFile, '--port', String(portB)]);
  const originA = `http://127.0.0.1:${portA}`;
  const originB = `http://127.0.0.1:${portB}`;
  await Promise.all([waitHealthy(originA, childA), waitHealthy(originB, childB)]);
  if (childA.pid === undefined || childB.pid === undefined) throw new Error('a breaker gateway has no pid');

  const opts = { headersTimeout: o.trialTimeoutMs, bodyTimeout: o.trialTimeoutMs, keepAliveTimeout: 60_000 };
  const a = new Client(originA, opts);
  const b = new Client(originB, opts);
  const result: BreakerResult = {
    trials: o.trials,
    run: 0,
    fromResponse: [],
    fromSend: [],
    polls: [],
    timeouts: 0,
    timeoutReasons: {},
    failedRequests: 0,
    failureReasons: {},
    deadPort,
    pids: { a: childA.pid, b: childB.pid },
    views: { a: 'not read', b: 'not read' },
    subscribers: { before: await numsub(o.redisPort, BREAKER_CHANNEL), after: undefined },
  };
  const phaseEnd = performance.now() + o.phaseBudgetMs;
  const timeout = (reason: string): void => {
    result.timeouts += 1;
    bump(result.timeoutReasons, reason);
  };
  try {
    for (let i = 0; i < o.trials && performance.now() < phaseEnd; i++) {
      result.run += 1;
      // 1. Close the breaker everywhere: reset through A, wait until B shows it closed.
      try {
        const res = await a.request({ path: `/admin/circuit/${DEAD_PROVIDER}/reset`, method: 'POST' });
        await res.body.text();
        if (res.statusCode !== 200) {
          timeout(`reset through A answered ${res.statusCode}`);
          continue;
        }
      } catch (err) {
        timeout(`reset through A failed: ${describe(err)}`);
        continue;
      }
      const closed = await pollFor(b, DEAD_PROVIDER, 'closed', performance.now() + o.trialTimeoutMs);
      if (closed.at === undefined) {
        timeout('B did not show closed after the reset');
        continue;
      }

      // 2. One request through A: `dead` refuses, A's breaker opens, the request fails over and succeeds.
      const sent = performance.now();
      let answered: number;
      try {
        const res = await a.request({ path: CHAT_PATH, method: 'POST', headers: JSON_HEADERS, body: CHAT_BODY });
        const text = await res.body.text();
        answered = performance.now();
        if (res.statusCode !== 200 || !text.includes('"chat.completion"')) {
          result.failedRequests += 1;
          bump(result.failureReasons, `status ${res.statusCode}`);
        }
      } catch (err) {
        answered = performance.now();
        result.failedRequests += 1;
        bump(result.failureReasons, describe(err));
      }

      // 3. Poll B until it shows open.
      const open = await pollFor(b, DEAD_PROVIDER, 'open', answered + o.trialTimeoutMs);
      if (open.at === undefined) {
        let stateA = 'unknown';
        try {
          stateA = (await circuitOf(a, DEAD_PROVIDER)) ?? 'unknown';
        } catch {
          // keep unknown
        }
        timeout(`B did not show open within ${o.trialTimeoutMs} ms (A shows ${stateA})`);
        continue;
      }
      result.fromResponse.push(open.at - answered);
      result.fromSend.push(open.at - sent);
      result.polls.push(open.polls);
    }
    const view = (origin: string): Promise<RedisView | string> => redisView(origin).catch((err: unknown) => `unreadable: ${describe(err)}`);
    result.views = { a: await view(originA), b: await view(originB) };
    result.subscribers.after = await numsub(o.redisPort, BREAKER_CHANNEL);
  } finally {
    await Promise.allSettled([a.destroy(), b.destroy()]);
  }
  return result;
}

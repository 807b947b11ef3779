/** The breaker propagation phase as lines of the bench's report and as its JSON. */
import { BREAKER_CHANNEL, type BreakerResult, spread } from './breaker.js';
import { describeErrors, type RedisView } from './redis.js';

const ms = (n: number): string => (Number.isFinite(n) ? `${n.toFixed(2)} ms` : 'n/a');

/**
 * What the phase measured, one line each: propagation from A's response and from the request, polls,
 * timeouts, failures, both gateways' Redis state and the channel's subscribers.
 *
 * @example
 * for (const line of breakerLines(result, 5000, 60000)) console.log(line);
 */
export function breakerLines(breaker: BreakerResult, trialTimeoutMs: number, phaseBudgetMs: number): string[] {
  const fr = spread(breaker.fromResponse);
  const fs = spread(breaker.fromSend);
  const polls = spread(breaker.polls);
  const lines = [
    `  provider "dead" -> 127.0.0.1:${breaker.deadPort} (nothing listens), then "bench" on the fake upstream; A pid ${breaker.pids.a}, B pid ${breaker.pids.b}`,
    `  per trial: reset through A, wait until B /health shows closed, one request through A, poll B /health every 1 ms until open (give up after ${trialTimeoutMs / 1000} s)`,
    `  A's response -> B shows open   p50 ${ms(fr.p50)}  p95 ${ms(fr.p95)}  max ${ms(fr.max)}  (n ${fr.n})`,
    `  (info) request sent to A -> B  p50 ${ms(fs.p50)}  p95 ${ms(fs.p95)}  max ${ms(fs.max)}`,
    `  (info) B /health polls per trial p50 ${polls.p50}  max ${polls.max}; figures include one /health round trip and up to ~1 ms poll spacing`,
  ];
  const list = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([k, v]) => `${v} x ${k}`)
      .join('; ');
  const reasons = list(breaker.timeoutReasons);
  const failures = list(breaker.failureReasons);
  const notRun = breaker.trials - breaker.run;
  lines.push(
    `  measured ${fr.n}/${breaker.trials}, timeouts ${breaker.timeouts}${reasons ? ` (${reasons})` : ''}` +
      `${notRun > 0 ? `, not run ${notRun} (phase budget ${phaseBudgetMs / 1000} s spent)` : ''}, failed requests through A ${breaker.failedRequests}${failures ? ` (${failures})` : ''}`,
  );
  const side = (v: RedisView | string): string => (typeof v === 'string' ? v : `redis_up ${v.redisUp}, redis errors ${describeErrors(v.errorsByOp)}`);
  lines.push(`  after the trials: A ${side(breaker.views.a)}; B ${side(breaker.views.b)}`);
  const subs = (n: number | undefined): string => (n === undefined ? 'unknown' : String(n));
  lines.push(`  subscribers of ${BREAKER_CHANNEL} (PUBSUB NUMSUB; 2 = A and B): ${subs(breaker.subscribers.before)} once both answered /health, ${subs(breaker.subscribers.after)} after the trials`);
  if (fr.n > 0 && fr.p50 > 1000) lines.push('  note: propagation near redis.sync_interval_ms (5000 ms) means B saw the change through its periodic re-read, not through pub/sub.');
  return lines;
}

const spreadJson = (x: ReturnType<typeof spread>): Record<string, number | null> => ({
  p50: Number.isFinite(x.p50) ? x.p50 : null,
  p95: Number.isFinite(x.p95) ? x.p95 : null,
  max: Number.isFinite(x.max) ? x.max : null,
  n: x.n,
});

/**
 * The phase in BENCH_JSON.
 *
 * @example
 * const json = { breaker_propagation: breakerJson(result) };
 */
export function breakerJson(breaker: BreakerResult): Record<string, unknown> {
  return {
    trials: breaker.trials,
    run: breaker.run,
    measured: breaker.fromResponse.length,
    timeouts: breaker.timeouts,
    timeout_reasons: breaker.timeoutReasons,
    failed_requests: breaker.failedRequests,
    poll_interval_ms: 1,
    from_response_ms: spreadJson(spread(breaker.fromResponse)),
    from_send_ms: spreadJson(spread(breaker.fromSend)),
    samples_ms: breaker.fromResponse,
    subscribers: { before: breaker.subscribers.before ?? null, after: breaker.subscribers.after ?? null },
    redis_errors: {
      a: typeof breaker.views.a === 'string' ? breaker.views.a : breaker.views.a.errorsByOp,
      b: typeof breaker.views.b === 'string' ? breaker.views.b : breaker.views.b.errorsByOp,
    },
  };
}

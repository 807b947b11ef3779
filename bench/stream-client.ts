/**
 * The load side of the concurrent-streams phase: C chat streams through one target, opened over a
 * ramp, each counted event by event as it arrives (never buffered). For every event it records the
 * added delay: arrival minus the time the upstream scheduled it (`bench_t0` from the first event +
 * i * gap, both on the epoch clock `performance.timeOrigin + performance.now()`, shared by processes on
 * one machine). undici with one connection per stream, so the client never queues a stream.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Pool } from 'undici';
import { CHAT_PATH, Errors, HEADERS } from './load.js';

/** One load shape: `count` streams of `chunks` events `gapMs` apart, opened evenly over `rampMs`. */
export interface StreamScenario {
  name: string;
  count: number;
  chunks: number;
  gapMs: number;
  rampMs: number;
  /** Whether the added delay per event is a target here (issue 16 sets one for the 1,000 fast streams only). */
  delayTarget?: boolean;
}

/** What the client saw of one scenario against one target. */
export interface StreamRun {
  /** Most streams open at once: first event received, not yet ended. */
  maxOpen: number;
  completed: number;
  errors: Errors;
  /** ms from sending the request to the first body bytes, per completed stream. */
  ttfb: number[];
  /** ms each event arrived after its scheduled time, every event of every stream. */
  delays: number[];
  seconds: number;
  /** The load generator's own event-loop delay p99 during the run (ms). */
  clientEldP99: number;
}

const T0_RE = /"bench_t0":([0-9.]+)/;
const NL = 0x0a;

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown };
  return typeof e.code === 'string' ? e.code : String(e.message ?? err);
}

/**
 * Runs one scenario against `origin` and resolves when every stream has ended (or failed).
 *
 * @example
 * const run = await runStreams('http://127.0.0.1:8080', { name: 'fast', count: 1000, chunks: 60, gapMs: 50, rampMs: 500 });
 */
export async function runStreams(origin: string, s: StreamScenario, timeoutMs: number): Promise<StreamRun> {
  const pool = new Pool(origin, { connections: s.count, pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, keepAliveTimeout: 60_000, connectTimeout: timeoutMs });
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, bench_chunks: s.chunks, bench_gap_ms: s.gapMs });
  const run: StreamRun = { maxOpen: 0, completed: 0, errors: new Errors(), ttfb: [], delays: [], seconds: 0, clientEldP99: Number.NaN };
  let open = 0;
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();

  const one = async (): Promise<void> => {
    run.errors.requests += 1;
    const sent = performance.now();
    let counted = false;
    try {
      const res = await pool.request({ path: CHAT_PATH, method: 'POST', headers: HEADERS, body });
      if (res.statusCode !== 200) {
        run.errors.add(`status ${res.statusCode}: ${(await res.body.text()).slice(0, 120)}`);
        return;
      }
      let events = 0;
      let lastNl = false;
      let first = '';
      let t0 = Number.NaN; // the upstream's t0 on this process's performance.now() clock
      let tail = '';
      let firstAt = Number.NaN;
      for await (const chunk of res.body) {
        const buf = chunk as Buffer;
        const now = performance.now();
        if (!counted) {
          counted = true;
          firstAt = now;
          open += 1;
          if (open > run.maxOpen) run.maxOpen = open;
        }
        if (Number.isNaN(t0)) {
          first += buf.toString('latin1');
          const m = T0_RE.exec(first);
          if (m?.[1]) t0 = Number(m[1]) - performance.timeOrigin;
        }
        for (let i = 0; i < buf.length; i++) {
          const nl = buf[i] === NL;
          if (nl && lastNl) {
            if (events < s.chunks && !Number.isNaN(t0)) run.delays.push(now - (t0 + events * s.gapMs));
            events += 1;
          }
          lastNl = nl && !lastNl;
        }
        tail = (tail + buf.toString('latin1', Math.max(0, buf.length - 32))).slice(-32);
      }
      if (Number.isNaN(t0)) run.errors.add('no bench_t0 in the first event');
      else if (events < s.chunks) run.errors.add(`ended after ${events} of ${s.chunks} events`);
      else if (!tail.includes('[DONE]')) run.errors.add('no [DONE]');
      else {
        run.completed += 1;
        run.ttfb.push(firstAt - sent);
      }
    } catch (err) {
      run.errors.add(`stream ${describe(err)}`);
    } finally {
      if (counted) open -= 1;
    }
  };

  const started = performance.now();
  const all: Promise<void>[] = [];
  const interval = s.rampMs / s.count;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (all.length < s.count && started + all.length * interval <= now) all.push(one());
      if (all.length < s.count) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(all);
  run.seconds = (performance.now() - started) / 1000;
  eld.disable();
  run.clientEldP99 = eld.percentile(99) / 1e6;
  await pool.destroy();
  return run;
}

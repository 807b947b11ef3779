/**
 * The load side of the concurrent-streams phase: C chat streams through one target, opened over a
 * ramp, each counted event by event as it arrives (never buffered). For every event it records the
 * added delay: arrival minus the time the upstream scheduled it (`bench_t0` from the first event +
 * i * gap, both on the epoch clock `performance.timeOrigin + performance.now()`, shared by processes on
 * one machine). One undici client (one connection) per stream, so the client never queues a stream.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, type Dispatcher } from 'undici';
import { CHAT_PATH, describe, Errors, HEADERS, streamBody } from './load.js';

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

/** The counts every stream of a run adds to. */
interface Tally {
  run: StreamRun;
  open: number;
}

/**
 * One stream, read as undici hands over its bytes: no async iterator and no promise per chunk, so the
 * load generator spends its CPU on the counting, not on machinery (on two cores it shares the machine
 * with the target it measures).
 */
class StreamReader implements Dispatcher.DispatchHandlers {
  private status = 0;
  private counted = false;
  private events = 0;
  private lastNl = false;
  private first = '';
  private t0 = Number.NaN; // the upstream's t0 on this process's performance.now() clock
  private tail = '';
  private firstAt = Number.NaN;
  private errorText = '';

  constructor(
    private readonly s: StreamScenario,
    private readonly tally: Tally,
    private readonly sent: number,
    private readonly done: () => void,
  ) {}

  onConnect(): void {}

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(buf: Buffer): boolean {
    if (this.status !== 200) {
      this.errorText = (this.errorText + buf.toString('utf8')).slice(0, 120);
      return true;
    }
    const now = performance.now();
    const { run } = this.tally;
    if (!this.counted) {
      this.counted = true;
      this.firstAt = now;
      this.tally.open += 1;
      if (this.tally.open > run.maxOpen) run.maxOpen = this.tally.open;
    }
    if (Number.isNaN(this.t0)) {
      this.first += buf.toString('latin1');
      const m = T0_RE.exec(this.first);
      if (m?.[1]) this.t0 = Number(m[1]) - performance.timeOrigin;
    }
    const { chunks, gapMs } = this.s;
    for (let i = 0; i < buf.length; i++) {
      const nl = buf[i] === NL;
      if (nl && this.lastNl) {
        if (this.events < chunks && !Number.isNaN(this.t0)) run.delays.push(now - (this.t0 + this.events * gapMs));
        this.events += 1;
      }
      this.lastNl = nl && !this.lastNl;
    }
    this.tail = (this.tail + buf.toString('latin1', Math.max(0, buf.length - 32))).slice(-32);
    return true;
  }

  onComplete(): void {
    const { run } = this.tally;
    if (this.status !== 200) run.errors.add(`status ${this.status}: ${this.errorText}`);
    else if (Number.isNaN(this.t0)) run.errors.add('no bench_t0 in the first event');
    else if (this.events < this.s.chunks) run.errors.add(`ended after ${this.events} of ${this.s.chunks} events`);
    else if (!this.tail.includes('[DONE]')) run.errors.add('no [DONE]');
    else {
      run.completed += 1;
      run.ttfb.push(this.firstAt - this.sent);
    }
    this.finish();
  }

  onError(err: Error): void {
    this.tally.run.errors.add(`stream ${describe(err)}`);
    this.finish();
  }

  private finish(): void {
    if (this.counted) this.tally.open -= 1;
    this.done();
  }
}

/**
 * Runs one scenario against `origin` and resolves when every stream has ended (or failed).
 *
 * @example
 * const run = await runStreams('http://127.0.0.1:8080', { name: 'fast', count: 1000, chunks: 60, gapMs: 50, rampMs: 500 });
 */
export async function runStreams(origin: string, s: StreamScenario, timeoutMs: number): Promise<StreamRun> {
  // A client (one connection) per stream: undici's Pool looks for a free connection by walking all of
  // them on every request, which with thousands open took a sixth of the load generator's CPU.
  const options: Client.Options = { pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs, keepAliveTimeout: 60_000 };
  const body = streamBody(s.chunks, s.gapMs);
  const run: StreamRun = { maxOpen: 0, completed: 0, errors: new Errors(), ttfb: [], delays: [], seconds: 0, clientEldP99: Number.NaN };
  const tally: Tally = { run, open: 0 };
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();

  // Every connection stays open until the run is over, as a pool's would: closing them is not measured.
  const clients: Client[] = [];
  const one = (): Promise<void> =>
    new Promise<void>((resolve) => {
      run.errors.requests += 1;
      const client = new Client(origin, options);
      clients.push(client);
      client.dispatch({ path: CHAT_PATH, method: 'POST', headers: HEADERS, body }, new StreamReader(s, tally, performance.now(), resolve));
    });

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
  await Promise.all(clients.map((c) => c.destroy()));
  return run;
}

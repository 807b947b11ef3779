import type { Overview } from '../http/dashboard/overview.js';
import { flag, hasFlag, positiveNumber } from './args.js';
import { renderStatusTable } from './status-table.js';

export const STATUS_USAGE = 'switchyard status [--url <gateway>] [--key <admin key>] [--watch [--interval <s>]] [--json]';

/** Exit codes of `switchyard status`, for scripts. */
export const STATUS_EXIT = { ok: 0, breakerOpen: 1, usage: 2, unreachable: 3 } as const;

export interface StatusOptions {
  url: string;
  key: string | undefined;
  watch: boolean;
  intervalMs: number;
  json: boolean;
}

/** Where the command writes, and when a watch stops (Ctrl-C by default). */
export interface StatusIo {
  out: { write(text: string): unknown; isTTY?: boolean };
  err: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Resolves when a `--watch` should stop. */
  interrupted: Promise<void>;
}

/**
 * Reads the command line: `--url` (else `$SWITCHYARD_URL`, else http://127.0.0.1:8000), `--key` (else
 * `$SWITCHYARD_ADMIN_KEY`), `--watch`, `--interval` seconds (default 2), `--json`. An error message when
 * something is wrong.
 *
 * @example
 * parseStatusArgs(['--url', 'http://gw:8000', '--watch'], {}); // { url: 'http://gw:8000', watch: true, intervalMs: 2000, ... }
 */
export function parseStatusArgs(args: readonly string[], env: NodeJS.ProcessEnv): StatusOptions | string {
  const interval = positiveNumber(args, '--interval', 2);
  if (typeof interval === 'string') return interval;
  const url = (flag(args, '--url') ?? env.SWITCHYARD_URL ?? 'http://127.0.0.1:8000').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(url)) return `--url: "${url}" is not an http(s) URL`;
  return { url, key: flag(args, '--key') ?? env.SWITCHYARD_ADMIN_KEY, watch: hasFlag(args, '--watch'), intervalMs: interval * 1000, json: hasFlag(args, '--json') };
}

/**
 * `GET /admin/overview` of a gateway, or why it could not be read.
 *
 * @example
 * await fetchOverview({ url: 'http://127.0.0.1:8000', key: 'admin-key' }); // { providers: [...], ... }
 */
export async function fetchOverview(o: Pick<StatusOptions, 'url' | 'key'>): Promise<Overview | Error> {
  try {
    const res = await fetch(`${o.url}/admin/overview`, { headers: o.key ? { authorization: `Bearer ${o.key}` } : {}, signal: AbortSignal.timeout(5000) });
    if (!res.ok) {
      const body = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
      return new Error(`${o.url} answered ${res.status}${body?.error?.message ? `: ${body.error.message}` : ''}`);
    }
    return (await res.json()) as Overview;
  } catch (err) {
    return new Error(`${o.url} is not reachable: ${(err as Error).message}`);
  }
}

const exitCodeOf = (o: Overview | Error) => (o instanceof Error ? STATUS_EXIT.unreachable : o.open_breakers.length > 0 ? STATUS_EXIT.breakerOpen : STATUS_EXIT.ok);

// Terminal control: home, clear to the end of each line and of the screen, cursor off/on.
const HOME = '\x1b[H';
const CLEAR_SCREEN = '\x1b[2J';
const CLEAR_LINE = '\x1b[K';
const CLEAR_BELOW = '\x1b[J';
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/**
 * `switchyard status`: prints the gateway's providers as a table (or JSON) once, or redraws it in place
 * every interval with `--watch` until interrupted. Exit code: 0 no breaker open, 1 a breaker open, 2 bad
 * arguments, 3 the gateway could not be read (the last reading's, for a watch).
 *
 * @example
 * process.exitCode = await runStatus(['--url', 'http://127.0.0.1:8000', '--key', key], io);
 */
export async function runStatus(args: readonly string[], io: StatusIo): Promise<number> {
  const o = parseStatusArgs(args, io.env);
  if (typeof o === 'string') {
    io.err.write(`${o}\nusage: ${STATUS_USAGE}\n`);
    return STATUS_EXIT.usage;
  }
  const tty = Boolean(io.out.isTTY);
  const color = tty && !io.env.NO_COLOR;
  const show = (reading: Overview | Error): string => {
    if (o.json) return reading instanceof Error ? `${JSON.stringify({ error: reading.message })}\n` : `${JSON.stringify(reading)}\n`;
    return reading instanceof Error ? `switchyard status: ${reading.message}\n` : renderStatusTable(reading, { color, url: o.url });
  };
  if (!o.watch) {
    const reading = await fetchOverview(o);
    (reading instanceof Error && !o.json ? io.err : io.out).write(show(reading));
    return exitCodeOf(reading);
  }
  let stopped = false;
  void io.interrupted.then(() => (stopped = true));
  const redraw = tty && !o.json;
  if (redraw) io.out.write(HIDE_CURSOR + HOME + CLEAR_SCREEN);
  let code: number = STATUS_EXIT.ok;
  while (!stopped) {
    const reading = await fetchOverview(o);
    code = exitCodeOf(reading);
    const text = show(reading);
    io.out.write(redraw ? `${HOME}${text.replaceAll('\n', `${CLEAR_LINE}\n`)}${CLEAR_BELOW}` : `${text}${o.json ? '' : '\n'}`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([io.interrupted, new Promise((r) => (timer = setTimeout(r, o.intervalMs)))]);
    clearTimeout(timer);
  }
  if (redraw) io.out.write(SHOW_CURSOR);
  return code;
}

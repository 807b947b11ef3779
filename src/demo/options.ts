import { flag, positiveNumber } from '../cli/args.js';

export const DEMO_USAGE = 'switchyard demo [--port <n>] [--duration <s>] [--rate <requests/s>]';

/** What `switchyard demo` was asked for. */
export interface DemoOptions {
  /** Where the gateway listens; with `fallback`, another free port when it is taken. */
  port: number;
  fallback: boolean;
  /** How long to run (seconds); undefined: until interrupted. */
  durationSeconds: number | undefined;
  /** Requests a second of the load. */
  rate: number;
}

const DEFAULT_PORT = 8000;
const DEFAULT_RATE = 4;

/**
 * Reads the demo's command line, or says what is wrong with it.
 *
 * @example
 * parseDemoArgs(['--duration', '20', '--port', '0']); // { port: 0, fallback: false, durationSeconds: 20, rate: 4 }
 */
export function parseDemoArgs(args: readonly string[]): DemoOptions | string {
  const duration = flag(args, '--duration') === undefined ? undefined : positiveNumber(args, '--duration', 0);
  if (typeof duration === 'string') return duration;
  const rate = positiveNumber(args, '--rate', DEFAULT_RATE, 'requests per second');
  if (typeof rate === 'string') return rate;
  const portText = flag(args, '--port');
  const port = portText === undefined ? DEFAULT_PORT : Number(portText);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) return `--port: "${portText}" is not a port number`;
  return { port, fallback: portText === undefined, durationSeconds: duration, rate };
}

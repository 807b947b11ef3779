import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout, written asynchronously. Request logs carry ids, providers, statuses and timings
 * only: never prompt text, never headers, never keys (no redaction pass is needed, and none is paid for).
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchyard' },
    },
    destination ?? bufferedStdout(),
  );
}

/**
 * stdout in batches: lines gather up to 8 KiB and are written at least every 200 ms, so a busy
 * instance makes a few write calls a second instead of one per request. `logger.flush()` on shutdown.
 */
function bufferedStdout() {
  const dest = pino.destination({ dest: 1, sync: false, minLength: 8 * 1024 });
  setInterval(() => dest.flush(), 200).unref();
  return dest;
}

import { pino, type Logger } from 'pino';

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
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout. Request logs carry ids, providers, statuses and timings only: never prompt
 * text, never keys. The redact list is a second line of defence for anything that names a header.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchyard' },
      redact: {
        paths: ['*.authorization', '*.Authorization', '*.api_key', '*.apiKey', 'headers.*', 'req.headers.*'],
        censor: '[redacted]',
      },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

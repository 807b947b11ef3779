import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * JSON lines on stdout, written asynchronously. Request logs carry ids, providers, statuses and timings
 * only: never prompt text, never headers, never keys (no redaction pass is needed, and none is paid for).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'switchyard' },
    },
    destination ?? bufferedStdout(),
  );
}

const BATCH_CHARS = 8 * 1024;

/**
 * Lines gathered into 8 KiB batches before they reach pino's stdout writer (sonic-boom), which then
 * makes a few write calls a second instead of one per request. The batching is done here rather than
 * by sonic-boom's `minLength` because sonic-boom measures its pending string's byte length on every
 * write: a request's line cost about 5 us more with it, growing with the batch.
 */
class LineBatcher {
  private lines: string[] = [];
  private chars = 0;

  constructor(private readonly dest: ReturnType<typeof pino.destination>) {}

  write(line: string): void {
    this.lines.push(line);
    this.chars += line.length;
    if (this.chars >= BATCH_CHARS) this.pass();
  }

  /** Hands the batch to the writer (asynchronous from there). */
  pass(): void {
    if (this.chars === 0) return;
    const batch = this.lines.length === 1 ? this.lines[0]! : this.lines.join('');
    this.lines = [];
    this.chars = 0;
    this.dest.write(batch);
  }

  /** `logger.flush()`: everything gathered, out now. */
  flush(cb?: (err?: Error) => void): void {
    this.pass();
    this.dest.flush(cb);
  }

  flushSync(): void {
    this.pass();
    this.dest.flushSync();
  }
}

/** stdout in batches, written at least every 200 ms and on exit; `logger.flush()` on shutdown. */
function bufferedStdout(): DestinationStream {
  // Registered before the writer's own exit hook (which closes it), so the last batch still gets out.
  process.once('exit', () => {
    try {
      batcher.flushSync();
    } catch {
      // stdout gone at exit: nothing left to tell it.
    }
  });
  const batcher = new LineBatcher(pino.destination({ dest: 1, sync: false }));
  setInterval(() => batcher.pass(), 200).unref();
  return batcher;
}

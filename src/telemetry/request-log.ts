import { type Logger, pino } from 'pino';

type Destination = { write(line: string): unknown };

/** The fields every request's line starts with. */
export interface RequestLine {
  requestId: string;
  method: string;
  path: string;
  status: number;
  ms: number;
}

/**
 * Writes the line every request ends with (`msg: "request"`) straight to the logger's destination, in
 * pino's own format (level, time, the logger's bindings, the fields, msg), built field by field: it is
 * the one log line on the request path, and pino's generic serialiser cost about 2 KB of garbage per
 * line (one JSON.stringify of a merged object still cost a spread and a whole-object walk). `extra`'s
 * fields follow the head's, each value as JSON.stringify writes it (an undefined one left out). The
 * level is the logger's, read at each call (a reload may change it); a logger without pino's
 * destination (a test's own) gets the line through `info`.
 *
 * @example
 * writeRequestLine(logger, { requestId: 'req_1', method: 'POST', path: '/v1/chat/completions', status: 200, ms: 1.5 }, { provider: 'openai' });
 * // {"level":30,"time":1764979200000,"service":"switchyard","requestId":"req_1",...,"provider":"openai","msg":"request"}
 */
export function writeRequestLine(logger: Logger, head: RequestLine, extra?: Record<string, unknown>): void {
  if (!logger.isLevelEnabled('info')) return;
  const own = logger as unknown as Record<symbol, unknown>;
  const stream = own[pino.symbols.streamSym] as Destination | undefined;
  const bindings = own[pino.symbols.chindingsSym];
  if (!stream || typeof stream.write !== 'function' || typeof bindings !== 'string') {
    logger.info(Object.assign({}, head, extra), 'request');
    return;
  }
  let line = `{"level":30,"time":${Date.now()}${bindings},"requestId":${JSON.stringify(head.requestId)},"method":${JSON.stringify(head.method)},"path":${JSON.stringify(head.path)},"status":${json(head.status)},"ms":${json(head.ms)}`;
  if (extra) {
    for (const key in extra) {
      const value = json(extra[key]);
      if (value !== undefined) line += `,${JSON.stringify(key)}:${value}`;
    }
  }
  stream.write(`${line},"msg":"request"}\n`);
}

/** One value as JSON (undefined for what JSON leaves out); a number without a call into the serialiser. */
function json(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  return JSON.stringify(value);
}

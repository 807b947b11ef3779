import { type Logger, pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { writeRequestLine } from '../../src/telemetry/request-log.js';

/** A pino logger whose lines are collected as written. */
function collecting(level = 'info'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger: Logger = pino({ level, base: { service: 'switchyard' } }, { write: (l: string) => lines.push(l) });
  return { logger, lines };
}

const HEAD = { requestId: 'req_1', method: 'POST', path: '/v1/chat/completions', status: 200, ms: 1.25 };

describe('writeRequestLine', () => {
  it("writes pino's format, head fields first, then the extra ones in order", () => {
    const { logger, lines } = collecting();
    writeRequestLine(logger, HEAD, { provider: 'alpha', attempts: 2, stream: 'complete' });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(['level', 'time', 'service', 'requestId', 'method', 'path', 'status', 'ms', 'provider', 'attempts', 'stream', 'msg']);
    expect(parsed).toMatchObject({ level: 30, service: 'switchyard', ...HEAD, provider: 'alpha', attempts: 2, msg: 'request' });
  });

  it('escapes strings, writes non-finite numbers as null and leaves undefined values out, as JSON.stringify does', () => {
    const { logger, lines } = collecting();
    const tricky = 'a "quoted"\nline \\ \u2028 end';
    writeRequestLine(logger, { ...HEAD, path: '/v1/"odd"', ms: Number.NaN }, { error: tricky, gone: undefined, n: Number.POSITIVE_INFINITY, flag: true, nested: { a: [1, 'b'] } });
    const parsed = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(parsed.path).toBe('/v1/"odd"');
    expect(parsed.ms).toBeNull();
    expect(parsed.error).toBe(tricky);
    expect('gone' in parsed).toBe(false);
    expect(parsed.n).toBeNull();
    expect(parsed.flag).toBe(true);
    expect(parsed.nested).toEqual({ a: [1, 'b'] });
  });

  it('writes nothing below the info level', () => {
    const { logger, lines } = collecting('warn');
    writeRequestLine(logger, HEAD);
    expect(lines).toEqual([]);
  });
});

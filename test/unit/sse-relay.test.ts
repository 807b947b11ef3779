import { describe, expect, it } from 'vitest';
import { OpenAISseRelay } from '../../src/providers/openai-sse-relay.js';

const ev = (o: unknown) => `data: ${JSON.stringify(o)}\n\n`;
const chunk = (content: string, finish: string | null = null, index = 0) => ev({ choices: [{ index, delta: { content }, finish_reason: finish }] });
const relay = (choices = 1) => new OpenAISseRelay({ choices, redact: (t) => t.replaceAll('sk-key', '[redacted]') });

/** Everything the relay forwards for `text` cut into pieces of `size` bytes, then its end. */
function run(r: OpenAISseRelay, text: string, size: number): { out: string; complete: boolean } {
  const bytes = Buffer.from(text);
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) {
    const o = r.push(bytes.subarray(i, i + size));
    if (o) parts.push(o);
  }
  const end = r.end();
  if (end.out) parts.push(end.out);
  return { out: Buffer.concat(parts).toString('utf8'), complete: end.complete };
}

describe('OpenAISseRelay', () => {
  const body = chunk('héllo 世界') + chunk('🎉', 'stop') + ev({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 4 } }) + 'data: [DONE]\n\n';

  it.each([1, 2, 3, 7, 64, 100_000])('forwards the same bytes and verdict in pieces of %i bytes', (size) => {
    const r = relay();
    expect(run(r, body, size)).toEqual({ out: body, complete: true });
    expect(r.state).toBe('done');
    expect(r.usage).toEqual({ promptTokens: 3, completionTokens: 4 });
  });

  it('takes CRLF framing and comments', () => {
    const text = ': keep-alive\r\n\r\ndata: {"choices":[]}\r\n\r\ndata: [DONE]\r\n\r\n';
    expect(run(relay(), text, 5)).toEqual({ out: text, complete: true });
  });

  it('judges the first event: a broken one fails the stream before anything is forwarded', () => {
    const r = relay();
    expect(r.push(Buffer.from('data: {"id":"x","choices":[{\n\n'))).toBeUndefined();
    expect(r).toMatchObject({ state: 'failed', malformed: true, judged: true });
  });

  it('judges the first event: an error event fails the stream with its (redacted) message', () => {
    const r = relay();
    r.push(Buffer.from(ev({ error: { message: 'bad sk-key' } })));
    expect(r).toMatchObject({ state: 'failed', malformed: false, failure: 'bad [redacted]', events: 0 });
  });

  it('is whole when every choice finished without [DONE], and adds [DONE]', () => {
    const text = chunk('a', null, 0) + chunk('b', null, 1) + chunk('', 'stop', 0);
    const r = relay(2);
    expect(run(r, text, 1000).complete).toBe(false);
    const r2 = relay(2);
    expect(run(r2, text + chunk('', 'length', 1), 1000)).toEqual({ out: text + chunk('', 'length', 1) + 'data: [DONE]\n\n', complete: true });
  });

  it('takes a last event that lacks its blank line', () => {
    expect(run(relay(), chunk('a') + 'data: [DONE]', 1000)).toEqual({ out: chunk('a') + 'data: [DONE]\n\n', complete: true });
  });

  it('drops named events other than message, and ignores what follows [DONE]', () => {
    const text = chunk('a', 'stop') + 'event: done\ndata: {}\n\n' + 'data: [DONE]\n\n' + chunk('late');
    expect(run(relay(), text, 1000)).toEqual({ out: chunk('a', 'stop') + 'data: [DONE]\n\n', complete: true });
  });

  it('forwards a mid-stream error event once, redacted, and stops', () => {
    const r = relay();
    const { out, complete } = run(r, chunk('a') + ev({ error: { message: 'no sk-key' } }) + chunk('b'), 3);
    expect(out).toBe(chunk('a') + ev({ error: { message: 'no [redacted]' } }));
    expect(complete).toBe(false);
    expect(r).toMatchObject({ state: 'failed', malformed: false });
  });

  it('reads "error" inside content text as content', () => {
    const r = relay();
    expect(run(r, chunk('the word "error" and error: x') + chunk('', 'stop'), 1000).complete).toBe(true);
    expect(r.failure).toBeUndefined();
  });
});

import { describe, expect, it } from 'vitest';
import { ANTHROPIC_EVENTS, NamedEventRelay, RESPONSES_EVENTS } from '../../src/providers/native-sse-relay.js';
import { isQuietChunk, OpenAISseRelay } from '../../src/providers/openai-sse-relay.js';

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

describe('isQuietChunk', () => {
  const quiet = (text: string) => {
    const b = Buffer.from(`xx${text}yy`); // the event sits inside a larger chunk
    return isQuietChunk(b, 2, b.length - 2);
  };

  it('says yes to a one-line chunk with nothing to read: content, a null finish_reason or usage, no space after the colon', () => {
    expect(quiet(chunk('hello'))).toBe(true);
    expect(quiet('data: {"choices":[{"delta":{"content":"x"},"finish_reason" : null}],"usage":null}\n\n')).toBe(true);
    expect(quiet('data:{"choices":[]}\n\n')).toBe(true);
    // Quotes inside content are escaped, so the keys' names in text are content, not keys.
    expect(quiet(chunk('the "usage" and "finish_reason" and "error" of it'))).toBe(true);
  });

  it('says no to whatever the relay must read or frame in full', () => {
    expect(quiet(chunk('x', 'stop'))).toBe(false);
    expect(quiet(ev({ choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } }))).toBe(false);
    expect(quiet(ev({ error: { message: 'boom' } }))).toBe(false);
    expect(quiet(ev({ choices: [{ delta: { content: 'x' } }], type: 'error' }))).toBe(false);
    expect(quiet('data: [DONE]\n\n')).toBe(false);
    expect(quiet('data: {"a":1}\r\n\r\n')).toBe(false);
    expect(quiet('data: {"a":\ndata: 1}\n\n')).toBe(false);
    expect(quiet('event: message\ndata: {"a":1}\n\n')).toBe(false);
    expect(quiet('data: "text"\n\n')).toBe(false);
  });

  it('leaves the verdict as the full reading gives it: a finish or usage after quiet chunks is still read', () => {
    const text = chunk('a') + chunk('b') + ev({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }], usage: { prompt_tokens: 5, completion_tokens: 6 } });
    const r = relay();
    expect(run(r, text, 100_000)).toEqual({ out: `${text}data: [DONE]\n\n`, complete: true });
    expect(r.usage).toEqual({ promptTokens: 5, completionTokens: 6 });
  });
});

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

describe('NamedEventRelay', () => {
  const ev = (name: string, data: object) => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
  const body =
    ev('message_start', { message: { usage: { input_tokens: 10, cache_read_input_tokens: 2, output_tokens: 1 } } }) +
    ': ping\n\n' +
    ev('content_block_delta', { delta: { type: 'signature_delta', signature: 'sig/é' } }) +
    ev('message_delta', { usage: { output_tokens: 7 } }) +
    ev('message_stop', {});
  const feed = (r: NamedEventRelay, text: string, size: number) => {
    const bytes = Buffer.from(text);
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) {
      const o = r.push(bytes.subarray(i, i + size));
      if (o) out.push(o);
    }
    const end = r.end();
    if (end.out) out.push(end.out);
    return { out: Buffer.concat(out).toString('utf8'), complete: end.complete };
  };

  it.each([1, 5, 100_000])('passes an Anthropic stream through byte for byte in pieces of %i, with its usage', (size) => {
    const r = new NamedEventRelay(ANTHROPIC_EVENTS);
    expect(feed(r, body, size)).toEqual({ out: body, complete: true });
    expect(r.usage).toEqual({ promptTokens: 12, completionTokens: 7 });
  });

  it('fails before forwarding when the stream does not begin with its start event, or begins with an error', () => {
    const wrong = new NamedEventRelay(ANTHROPIC_EVENTS);
    expect(feed(wrong, ev('content_block_delta', {}), 1000).out).toBe('');
    expect(wrong).toMatchObject({ state: 'failed', malformed: true, events: 0 });
    const error = new NamedEventRelay(ANTHROPIC_EVENTS, (t) => t.replaceAll('sk-key', '[redacted]'));
    feed(error, ev('error', { error: { type: 'overloaded_error', message: 'busy sk-key' } }), 1000);
    expect(error).toMatchObject({ state: 'failed', malformed: false, failure: 'busy [redacted]' });
  });

  it('forwards a mid-stream error event once, redacted, and ends; an end without message_stop is incomplete', () => {
    const r = new NamedEventRelay(ANTHROPIC_EVENTS, (t) => t.replaceAll('sk-key', '[redacted]'));
    const { out, complete } = feed(r, ev('message_start', { message: {} }) + ev('error', { error: { message: 'bad sk-key' } }) + ev('message_stop', {}), 7);
    expect(out).toBe(ev('message_start', { message: {} }) + ev('error', { error: { message: 'bad [redacted]' } }));
    expect(complete).toBe(false);
    const cut = new NamedEventRelay(ANTHROPIC_EVENTS);
    expect(feed(cut, ev('message_start', { message: {} }), 1000).complete).toBe(false);
  });

  it('judges a Responses stream by response.created and response.completed, with its usage', () => {
    const r = new NamedEventRelay(RESPONSES_EVENTS);
    const text = ev('response.created', { response: {} }) + ev('response.output_text.delta', { delta: 'x' }) + ev('response.completed', { response: { usage: { input_tokens: 3, output_tokens: 4 } } });
    expect(feed(r, text, 3)).toEqual({ out: text, complete: true });
    expect(r.usage).toEqual({ promptTokens: 3, completionTokens: 4 });
  });
});

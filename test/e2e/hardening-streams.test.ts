/**
 * Streams and keys, as an outside reliability pass tried them: every chunking of upstream bytes ends
 * the client's stream when the upstream's ends; a broken or error first event fails over; a stream
 * whose choices all finished is whole without `[DONE]`; error events reach the client once, with the
 * provider's key removed in every JSON encoding.
 */
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { Fault } from '../support/fake-upstream.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const KEY = 'sk-live/SECRET-0123456789';
const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };

const chunk = (content: string | undefined, finish: string | null = null, index = 0) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index, delta: content === undefined ? {} : { content }, finish_reason: finish }] })}\n\n`;
const TEXT = 'héllo 世界 🎉 done';
const BODY = chunk('') + chunk('héllo ') + chunk('世界 🎉') + chunk(' done') + chunk(undefined, 'stop') + 'data: [DONE]\n\n';
const bytes = Buffer.from(BODY);

/** `bytes` cut at these offsets. */
const cut = (offsets: number[]): Buffer[] => {
  const out: Buffer[] = [];
  let at = 0;
  for (const o of [...offsets, bytes.length]) {
    out.push(bytes.subarray(at, o));
    at = o;
  }
  return out;
};

describe('streams through an openai_compatible upstream', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml(
        [
          { name: 'alpha', url: alpha.url, extra: '    timeout_ms: 2000\n' },
          { name: 'beta', url: beta.url, extra: '    timeout_ms: 2000\n' },
        ],
        (n) => (n === 'alpha' ? KEY : `sk-${n}-secret-0123456789`),
      ) + 'circuit_breaker: { failure_threshold: 1000 }\n',
  );

  const streamText = async (client: OpenAI) => {
    const { data: stream, response } = await client.chat.completions.create({ ...ask, stream: true }).withResponse();
    let text = '';
    let finish: string | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    return { text, finish, provider: response.headers.get('x-switchyard-provider') };
  };

  const rawStream = async (): Promise<string> => {
    const r = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, stream: true }),
      signal: AbortSignal.timeout(5000),
    });
    return r.text();
  };

  const splits: Array<[string, Buffer[]]> = [
    ['the whole body in one write', [bytes]],
    ['one byte per write', cut([...Array(bytes.length - 1).keys()].map((i) => i + 1))],
    ['a split inside a UTF-8 character', cut([BODY.indexOf('世') + 1 + Buffer.byteLength(BODY.slice(0, BODY.indexOf('世'))) - BODY.indexOf('世')])],
    ['a split inside "data:"', cut([2, bytes.indexOf('data:', 10) + 3])],
    ['a split between the two newlines of every event', cut([...BODY.matchAll(/\n\n/g)].map((m) => Buffer.byteLength(BODY.slice(0, m.index)) + 1))],
  ];

  it.each(splits)('ends the client stream exactly when the upstream ends: %s', async (_label, writes) => {
    ctx.alpha.enqueue({ kind: 'raw', writes });
    const r = await streamText(ctx.client());
    expect(r).toEqual({ text: TEXT, finish: 'stop', provider: 'alpha' });
  });

  it('sends the raw stream through byte for byte when written in one piece', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: [bytes] });
    expect(await rawStream()).toBe(BODY);
  });

  it('fails over when the first event is not a valid event, before any byte reached the client', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: ['data: {"id":"x","choices":[{\n\n', chunk('late')] });
    const r = await streamText(ctx.client());
    expect(r.provider).toBe('beta');
    expect(r.text).toBe('Hello from beta');
  });

  it('fails over when the first event is an error event, and keeps its key out of the attempt log', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: [`data: {"error":{"message":"quota gone for ${KEY}"}}\n\n`] });
    const r = await streamText(ctx.client());
    expect(r.provider).toBe('beta');
    expect(ctx.gw.logs.join('\n')).not.toContain('SECRET');
  });

  it('treats a stream as whole when every choice finished, without [DONE], and adds [DONE] for the client', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk('a'), chunk('b', 'stop')] });
    const text = await rawStream();
    expect(text).toBe(chunk('a') + chunk('b', 'stop') + 'data: [DONE]\n\n');
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk('a'), chunk('b', 'stop')] });
    expect(await streamText(ctx.client())).toEqual({ text: 'ab', finish: 'stop', provider: 'alpha' });
  });

  it('does not pass a named event other than data on to the client', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk('a'), chunk(undefined, 'stop'), 'event: done\ndata: {}\n\n'] });
    const text = await rawStream();
    expect(text).not.toContain('event: done');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk('a'), chunk(undefined, 'stop'), 'event: done\ndata: {}\n\n'] });
    expect((await streamText(ctx.client())).text).toBe('a');
  });

  it('ends a stream cut before its choices finished with exactly one error event', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk('a'), chunk('b')] });
    const text = await rawStream();
    expect(text.match(/data: \{"error"/g)).toHaveLength(1);
    expect(text).not.toContain('[DONE]');
  });

  it('removes the provider key from an error event mid-stream, and sends that one error event only', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk('partial'), `data: {"error":{"message":"invalid key ${KEY} (also ${KEY.replace('/', '\\/')})"}}\n\n`] });
    const text = await rawStream();
    expect(text).toContain('partial');
    expect(text).not.toContain('SECRET');
    expect(text).toContain('[redacted]');
    expect(text.match(/data: \{"error"/g)).toHaveLength(1);
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk('partial'), `data: {"error":{"message":"invalid key ${KEY}"}}\n\n`] });
    await expect(streamText(ctx.client())).rejects.toThrow(/\[redacted\]/);
  });
});

describe('keys echoed in upstream error bodies', () => {
  const ctx = useGateway(['alpha'], ({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url }], () => KEY));

  // The key, as JSON lets an upstream write it.
  const escaped = (s: string, i: number, upper = false) =>
    [...s]
      .map((ch, k) => {
        const hex = ch.charCodeAt(0).toString(16).padStart(4, '0');
        return (k + i) % 3 === 0 ? `\\u${upper ? hex.toUpperCase() : hex}` : ch === '/' ? '\\/' : ch;
      })
      .join('');
  const forms = [KEY.replace('/', '\\/'), escaped(KEY, 0), escaped(KEY, 1, true), `\\u0073${KEY.slice(1)}`];

  it.each(forms)('redacts the key written as %s', async (form) => {
    const fault: Fault = { kind: 'status', status: 400, body: `{"error":{"message":"bad request with key ${form}","type":"invalid_request_error","param":null,"code":null}}` };
    ctx.alpha.enqueue(fault);
    const r = await fetch(`${ctx.gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask) });
    expect(r.status).toBe(400);
    const text = await r.text();
    expect(text).toContain('[redacted]');
    expect(JSON.parse(text).error.message).not.toContain('SECRET');
    expect(text.toLowerCase()).not.toContain('secret');
  });
});

/**
 * A stream that goes silent (a model thinking) is kept alive: Anthropic's ping at the Messages door, an
 * SSE comment at the OpenAI doors; the SDKs read through them.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it, vi } from 'vitest';
import { keepAliveTicker } from '../../src/respond/keep-alive.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

describe('keep-alives on silent streams', () => {
  const ctx = useGateway(['alpha'], ({ alpha }) => `${providersYaml([{ name: 'alpha', url: alpha.url }])}server: { stream_keepalive_ms: 50 }\n`);
  const slow = { kind: 'ok' as const, chunkDelayMs: 200, text: 'one two three' };

  it('sends pings while an Anthropic-door stream is silent, and the SDK reads the answer', async () => {
    ctx.alpha.enqueue(slow);
    const raw = await fetch(`${ctx.gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'm', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await raw.text();
    expect(text).toContain('event: ping');
    expect(text.indexOf('event: ping')).toBeGreaterThan(text.indexOf('event: message_start'));
    expect(text).toContain('event: message_stop');

    ctx.alpha.enqueue(slow);
    const client = new Anthropic({ baseURL: ctx.gw.url, apiKey: 'x', maxRetries: 0 });
    let got = '';
    for await (const e of await client.messages.create({ model: 'm', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] })) {
      if (e.type === 'content_block_delta' && e.delta.type === 'text_delta') got += e.delta.text;
    }
    expect(got).toBe('one two three');
  });

  it('sends SSE comments while an OpenAI-door stream is silent, and the SDK reads the answer', async () => {
    ctx.alpha.enqueue(slow);
    const raw = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await raw.text();
    expect(text).toContain(': keep-alive\n\n');
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(keepAliveTicker.size(50)).toBe(0); // an ended stream no longer ticks

    ctx.alpha.enqueue(slow);
    let got = '';
    for await (const c of await ctx.client().chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] })) got += c.choices[0]?.delta.content ?? '';
    expect(got).toBe('one two three');
  });

  it('stops ticking a stream whose client went away while it was silent', async () => {
    ctx.alpha.enqueue({ kind: 'ok', chunkDelayMs: 10_000, text: 'one two' });
    const aborted = new AbortController();
    const raw = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
      signal: aborted.signal,
    });
    const reader = raw.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': keep-alive')) {
      const { value } = await reader.read();
      text += decoder.decode(value, { stream: true });
    }
    expect(keepAliveTicker.size(50)).toBe(1);
    aborted.abort();
    await vi.waitFor(() => expect(keepAliveTicker.size(50)).toBe(0));
  });
});

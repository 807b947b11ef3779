/**
 * Stream recovery end to end (stream_recovery: continue): a chat stream cut after 40% of its text is
 * finished by the next provider, asked to continue from the delivered text, and the client's text is
 * the whole answer the fakes were scripted to give; a cut inside a tool call never leaves the client
 * with arguments that are not JSON. Through the openai and Anthropic SDKs.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { CONTINUE_INSTRUCTION } from '../../src/core/stream-recovery.js';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const FULL = 'One two three four five six seven eight nine ten.';
const DELIVERED = 'One two three four'; // the role chunk and 4 of the 10 words
const REST = ' five six seven eight nine ten.';
const question = { role: 'user' as const, content: 'Count to ten in words.' };

const chunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const toolDelta = (index: number, args: string, head = false) =>
  chunk({ tool_calls: [{ index, ...(head ? { id: `call_${index}`, type: 'function', function: { name: 'weather', arguments: args } } : { function: { arguments: args } }) }] });
const tools = [{ type: 'function' as const, function: { name: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];

describe('stream recovery', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      providersYaml([
        { name: 'alpha', url: alpha.url },
        { name: 'beta', url: beta.url },
      ]) + 'circuit_breaker: { failure_threshold: 1000 }\nrouting:\n  routes:\n    gpt-4o-mini: { stream_recovery: continue }\n',
  );

  it('finishes a stream cut after 40% of its text on the next provider: one uninterrupted answer, usage of both calls', async () => {
    ctx.alpha.enqueue({ kind: 'reset_after_chunks', chunks: 5, text: FULL });
    ctx.beta.enqueue({ kind: 'ok', text: REST });
    const stream = await ctx.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [question], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta.content ?? '';
      if (c.usage) usage = c.usage;
    }
    expect(text).toBe(FULL);
    expect(ctx.beta.requests[0]!.body.messages).toEqual([question, { role: 'assistant', content: DELIVERED }, { role: 'user', content: CONTINUE_INSTRUCTION }]);
    // beta's own usage (12 prompt, 5 completion) plus the cut call's: its prompt and the delivered text.
    expect(usage!.completion_tokens).toBe(5 + Math.ceil(DELIVERED.length / 4));
    expect(usage!.prompt_tokens).toBeGreaterThan(12);
    expect(usage!.total_tokens).toBe(usage!.prompt_tokens + usage!.completion_tokens);
    expect(ctx.gw.logs.some((l) => l.includes('x-switchyard-recovered') && l.includes('"to":"beta"'))).toBe(true);
  });

  it('says so in a comment event before [DONE]', async () => {
    ctx.alpha.enqueue({ kind: 'reset_after_chunks', chunks: 5, text: FULL });
    ctx.beta.enqueue({ kind: 'ok', text: REST });
    const res = await fetch(`${ctx.gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [question], stream: true }),
    });
    const body = await res.text();
    expect(body).toMatch(/: x-switchyard-recovered from=alpha to=beta delivered_chars=18\n\ndata: \[DONE\]\n\n$/);
    expect(res.headers.get('x-switchyard-provider')).toBe('alpha');
  });

  it('ends with the error event as before when recovery is off', async () => {
    ctx.alpha.enqueue({ kind: 'reset_after_chunks', chunks: 5, text: FULL });
    const stream = await ctx.client().chat.completions.create({ model: 'other-model', messages: [question], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe(DELIVERED);
    expect(ctx.beta.requests).toHaveLength(0);
  });

  it('retries a stream cut inside its first tool call whole on the next provider: the arguments are whole JSON', async () => {
    ctx.alpha.enqueue({ kind: 'raw', writes: [chunk({ role: 'assistant', content: null }), toolDelta(0, '{"city": "Pa', true)], reset: true });
    ctx.beta.enqueue({ kind: 'raw', writes: [chunk({ role: 'assistant', content: null }), toolDelta(0, '{"city": ', true), toolDelta(0, '"Paris"}'), chunk({}, 'tool_calls'), 'data: [DONE]\n\n'] });
    const stream = await ctx.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [question], tools, stream: true });
    const args = new Map<number, string>();
    for await (const c of stream) for (const t of c.choices[0]?.delta.tool_calls ?? []) args.set(t.index, (args.get(t.index) ?? '') + (t.function?.arguments ?? ''));
    expect([...args.keys()]).toEqual([0]);
    expect(JSON.parse(args.get(0)!)).toEqual({ city: 'Paris' });
    // Nothing was delivered: the next provider got the request as it was.
    expect(ctx.beta.requests[0]!.body.messages).toEqual([question]);
  });

  it('ends with the error event when a tool call already reached the client: never spliced, never half a call', async () => {
    ctx.alpha.enqueue({
      kind: 'raw',
      writes: [chunk({ role: 'assistant', content: null }), toolDelta(0, '{"city": "Paris"}', true), toolDelta(1, '{"city": "Ro', true)],
      reset: true,
    });
    const stream = await ctx.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [question], tools, stream: true });
    const args = new Map<number, string>();
    const err = await (async () => {
      for await (const c of stream) for (const t of c.choices[0]?.delta.tool_calls ?? []) args.set(t.index, (args.get(t.index) ?? '') + (t.function?.arguments ?? ''));
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect([...args.keys()]).toEqual([0]);
    for (const a of args.values()) expect(() => JSON.parse(a)).not.toThrow();
    expect(ctx.beta.requests).toHaveLength(0);
  });

  it('recovers an Anthropic-format stream (/v1/messages) the same way', async () => {
    ctx.alpha.enqueue({ kind: 'reset_after_chunks', chunks: 5, text: FULL });
    ctx.beta.enqueue({ kind: 'ok', text: REST });
    const client = new Anthropic({ baseURL: ctx.gw.url, apiKey: 'client-key', maxRetries: 0 });
    const stream = client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 100, messages: [question] });
    let text = '';
    stream.on('text', (t) => {
      text += t;
    });
    const final = await stream.finalMessage();
    expect(text).toBe(FULL);
    expect(final.stop_reason).toBe('end_turn');
    expect(ctx.beta.requests[0]!.body.messages).toEqual([question, { role: 'assistant', content: DELIVERED }, { role: 'user', content: CONTINUE_INSTRUCTION }]);
  });
});

import OpenAI from 'openai';
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const CLAUDE_KEY = 'sk-ant-claude-secret-0123456789';
const BACKUP_KEY = 'sk-backup-secret-0123456789';
const MODEL = 'claude-test';

const yaml = (claudeUrl: string, backupUrl?: string) =>
  'providers:\n' +
  `  - name: claude\n    type: anthropic\n    base_url: ${claudeUrl}\n    api_key: ${CLAUDE_KEY}\n    models: [${MODEL}]\n    timeout_ms: 2000\n` +
  (backupUrl ? `  - name: backup\n    type: openai_compatible\n    base_url: ${backupUrl}\n    api_key: ${BACKUP_KEY}\n    timeout_ms: 2000\n` : '') +
  'circuit_breaker: { failure_threshold: 1000 }\n' +
  'routing: { max_retry_after_ms: 100 }\n';

const weatherTool: ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

describe('the anthropic provider through the gateway', () => {
  let claude: FakeAnthropic;
  let backup: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    claude = await FakeAnthropic.start('claude');
    backup = await FakeUpstream.start('backup');
    gw = await startTestGateway(yaml(claude.url, backup.url));
  });
  afterAll(async () => {
    await gw.close();
    await claude.close();
    await backup.close();
  });
  beforeEach(() => {
    claude.reset();
    backup.reset();
  });

  const last = () => claude.requests.at(-1)!;

  it('serves a chat completion: text, usage, finish reason; the key goes in x-api-key and nowhere else', async () => {
    claude.enqueue({ kind: 'ok', usage: { input: 10, output: 4, cacheRead: 6, cacheWrite: 2 } });
    const { data, response } = await gw
      .client({ apiKey: 'client-secret-xyz' })
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from claude');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.id).toMatch(/^msg_claude_/);
    expect(data.model).toBe(MODEL);
    expect(data.usage).toMatchObject({ prompt_tokens: 18, completion_tokens: 4, total_tokens: 22, prompt_tokens_details: { cached_tokens: 6 } });
    expect(response.headers.get('x-switchyard-provider')).toBe('claude');

    const got = last();
    expect(got.path).toBe('/v1/messages');
    expect(got.headers['x-api-key']).toBe(CLAUDE_KEY);
    expect(got.headers['anthropic-version']).toBe('2023-06-01');
    expect(got.headers.authorization).toBeUndefined();
    expect(JSON.stringify(got.headers)).not.toContain('client-secret-xyz');
    expect(got.body).toEqual({ model: MODEL, max_tokens: 4096, messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] });
    expect(JSON.stringify(data)).not.toContain(CLAUDE_KEY);
    expect(JSON.stringify([...response.headers])).not.toContain(CLAUDE_KEY);
  });

  it('moves the system message to `system` and merges consecutive same-role messages', async () => {
    await gw.client().chat.completions.create({
      model: MODEL,
      max_completion_tokens: 200,
      stop: ['###'],
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'first' },
        { role: 'user', content: 'second' },
        { role: 'assistant', content: 'ok' },
        { role: 'developer', content: 'Answer in French.' },
        { role: 'user', content: 'third' },
      ],
    });
    const body = last().body;
    expect(body.system).toBe('You are terse.\n\nAnswer in French.');
    expect(body.max_tokens).toBe(200);
    expect(body.stop_sequences).toEqual(['###']);
    expect(body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'first' },
          { type: 'text', text: 'second' },
        ],
      },
      { role: 'assistant', content: [{ type: 'text', text: 'ok' }] },
      { role: 'user', content: [{ type: 'text', text: 'third' }] },
    ]);
  });

  it('streams text with a final usage chunk and ends cleanly', async () => {
    claude.enqueue({ kind: 'ok', text: 'one two three', usage: { input: 7, output: 3 } });
    const stream = await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'count' }], stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    let role: string | undefined;
    for await (const c of stream) {
      role ??= c.choices[0]?.delta.role;
      text += c.choices[0]?.delta.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
      if (c.usage) usage = c.usage;
    }
    expect(role).toBe('assistant');
    expect(text).toBe('one two three');
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 });
    expect(last().body.stream).toBe(true);
    expect(last().headers.accept).toBe('text/event-stream');
  });

  it('accounts a stream’s tokens even when the client did not ask for usage', async () => {
    claude.enqueue({ kind: 'ok', usage: { input: 100, output: 9 } });
    const totals = gw.gateway.measurements.local.get('claude')!.totals;
    const [prompt, completion] = [totals.promptTokens, totals.completionTokens];
    const stream = await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let sawUsage = false;
    for await (const c of stream) if (c.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
    expect(totals.promptTokens - prompt).toBe(100);
    expect(totals.completionTokens - completion).toBe(9);
  });

  it('sends tools in Anthropic’s format and returns the tool call as OpenAI tool_calls', async () => {
    claude.enqueue({ kind: 'tool', text: 'Let me look.', calls: [{ id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } }] });
    const data = await gw.client().chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
    });
    const sent = last().body;
    expect(sent.tools).toEqual([{ name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }]);
    expect(sent.tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    const choice = data.choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message.content).toBe('Let me look.');
    expect(choice.message.tool_calls).toEqual([{ id: 'toolu_01', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }]);
  });

  it('streams tool calls as OpenAI deltas, and takes the tool results back in Anthropic’s format', async () => {
    claude.enqueue({
      kind: 'tool',
      calls: [
        { id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
        { id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
      ],
    });
    const stream = await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'Paris and Rome?' }], tools: [weatherTool], stream: true });
    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    let finish: string | null | undefined;
    for await (const c of stream) {
      for (const d of c.choices[0]?.delta.tool_calls ?? []) {
        if (d.id) calls[d.index] = { id: d.id, name: d.function?.name ?? '', arguments: '' };
        calls[d.index]!.arguments += d.function?.arguments ?? '';
      }
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(calls).toEqual([
      { id: 'toolu_a', name: 'get_weather', arguments: '{"city":"Paris"}' },
      { id: 'toolu_b', name: 'get_weather', arguments: '{"city":"Rome"}' },
    ]);

    claude.enqueue({ kind: 'ok', text: 'Paris 18C, Rome 25C.' });
    const messages: ChatCompletionMessageParam[] = [
      { role: 'user', content: 'Paris and Rome?' },
      { role: 'assistant', content: null, tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })) },
      { role: 'tool', tool_call_id: 'toolu_a', content: '18C' },
      { role: 'tool', tool_call_id: 'toolu_b', content: '25C' },
    ];
    const answer = await gw.client().chat.completions.create({ model: MODEL, messages, tools: [weatherTool] });
    expect(answer.choices[0]?.message.content).toBe('Paris 18C, Rome 25C.');
    expect(last().body.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: '18C' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: '25C' },
        ],
      },
    ]);
  });

  it('sends a data-URL image as a base64 image block', async () => {
    await gw.client().chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is it?' },
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ', detail: 'low' } },
          ],
        },
      ],
    });
    expect(last().body.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is it?' },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/4AAQ' } },
        ],
      },
    ]);
  });

  it('passes a 400 back as BadRequestError in the OpenAI envelope, without failing over', async () => {
    claude.enqueue({ kind: 'status', status: 400, message: 'max_tokens: 999999 > 64000, the maximum allowed for claude-test' });
    const err = await gw
      .client()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.status).toBe(400);
    expect(e.type).toBe('invalid_request_error');
    expect(e.message).toContain('the maximum allowed for claude-test');
    expect(e.headers?.get('x-switchyard-provider')).toBe('claude');
    expect(backup.requests).toHaveLength(0);
  });

  it('refuses content the provider cannot take (a BMP image) with a 400 naming the field', async () => {
    const err = (await gw
      .client()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } }] }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('messages[0].content[0]');
    expect(claude.requests).toHaveLength(0);
  });

  it.each([
    ['529 overloaded', { kind: 'status' as const, status: 529 }],
    ['500 api_error', { kind: 'status' as const, status: 500 }],
    ['429 with a long retry-after', { kind: 'status' as const, status: 429, retryAfter: '30' }],
    ['401 (a bad provider key)', { kind: 'status' as const, status: 401 }],
    ['a connection reset', { kind: 'reset' as const }],
  ])('fails over to the next provider on %s', async (_label, fault) => {
    claude.enqueue(fault);
    const { data, response } = await gw
      .client()
      .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from backup');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    expect(claude.requests).toHaveLength(1);
    expect(backup.requests[0]!.headers.authorization).toBe(`Bearer ${BACKUP_KEY}`);
  });

  it.each([
    ['a 529 overloaded before the stream', { kind: 'status' as const, status: 529 }],
    ['an error event before any text', { kind: 'stream_error' as const, textEvents: 0 }],
    ['a stream cut before any text', { kind: 'truncate_after_events' as const, events: 2 }],
  ])('fails a stream over to the OpenAI provider on %s', async (_label, fault) => {
    claude.enqueue(fault);
    const stream = await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello from backup');
    expect(claude.requests).toHaveLength(1);
    expect(backup.requests).toHaveLength(1);
  });

  it.each([
    ['an overloaded_error event after some text', { kind: 'stream_error' as const, textEvents: 2 }, /overloaded_error\): Overloaded/],
    ['a connection reset after some text', { kind: 'reset_after_events' as const, events: 5 }, /failed mid-stream/],
    ['a clean end without message_stop', { kind: 'truncate_after_events' as const, events: 5 }, /ended before message_stop/],
  ])('ends the client’s stream with an APIError on %s, never cleanly', async (_label, fault, message) => {
    claude.enqueue(fault);
    const before = gw.gateway.measurements.local.get('claude')!.totals.failures;
    const stream = await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(message);
    expect(text).toBe('Hello from');
    expect(backup.requests).toHaveLength(0);
    expect(gw.gateway.measurements.local.get('claude')!.totals.failures).toBe(before + 1);
  });

  it('keeps the provider’s retry-after when every provider is rate limiting', async () => {
    const solo = await startTestGateway(yaml(claude.url));
    try {
      claude.enqueue({ kind: 'status', status: 429, retryAfter: '30', message: 'Number of request tokens has exceeded your per-minute rate limit' });
      const err = (await solo
        .client()
        .chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.RateLimitError);
      expect(err.headers?.get('retry-after')).toBe('30');
      expect(err.message).toContain('per-minute rate limit');
      expect(err.message).not.toContain(CLAUDE_KEY);
    } finally {
      await solo.close();
    }
  });
});

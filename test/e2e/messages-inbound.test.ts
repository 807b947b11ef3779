/**
 * The Anthropic Messages front door (`POST /v1/messages`) with the official `@anthropic-ai/sdk`
 * client, over each provider type: OpenAI-compatible, Gemini and Anthropic (all through the pivot).
 */
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsNonStreaming, MessageParam, RawMessageStreamEvent, Tool } from '@anthropic-ai/sdk/resources/messages';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { FakeGemini } from '../support/fake-gemini.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const CLIENT_KEY = 'client-key-0123';
const weather: Tool = { name: 'get_weather', description: 'Current weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } };

let alpha: FakeUpstream;
let beta: FakeUpstream;
let gem: FakeGemini;
let claude: FakeAnthropic;
let gw: TestGateway;

beforeAll(async () => {
  [alpha, beta, gem, claude] = await Promise.all([FakeUpstream.start('alpha'), FakeUpstream.start('beta'), FakeGemini.start('gem'), FakeAnthropic.start('claude')]);
  gw = await startTestGateway(`providers:
  - { name: claude, type: anthropic, base_url: ${claude.url}, api_key: sk-ant-claude-secret-0123456789, models: [claude-test], timeout_ms: 2000 }
  - { name: alpha, type: openai_compatible, base_url: ${alpha.url}, api_key: sk-alpha-secret-0123456789, models: [gpt-test], timeout_ms: 2000 }
  - { name: gem, type: gemini, base_url: ${gem.url}, api_key: gm-secret-key-0123456789, models: [gemini-test], timeout_ms: 2000 }
  - { name: beta, type: openai_compatible, base_url: ${beta.url}, api_key: sk-beta-secret-0123456789, models: [gpt-test, claude-test], timeout_ms: 2000 }
circuit_breaker: { failure_threshold: 1000 }
routing: { max_retry_after_ms: 100 }
auth: { keys: [${CLIENT_KEY}] }
`);
});
afterAll(async () => {
  await gw.close();
  await Promise.all([alpha.close(), beta.close(), gem.close(), claude.close()]);
});
beforeEach(() => {
  for (const f of [alpha, beta, gem, claude]) f.reset();
});

const client = (o: { apiKey?: string | null; authToken?: string } = {}) =>
  new Anthropic({ baseURL: gw.url, apiKey: o.apiKey === undefined ? CLIENT_KEY : o.apiKey, authToken: o.authToken ?? null, maxRetries: 0 });

/** The three provider types, each with how to make it answer a tool call and where its request shows the system prompt. */
const backends = [
  {
    kind: 'openai_compatible',
    model: 'gpt-test',
    provider: 'alpha',
    fake: () => alpha,
    toolCall: (stream = false) => alpha.enqueue(stream ? { kind: 'raw', writes: openAIToolStream } : { kind: 'raw', contentType: 'application/json', writes: [JSON.stringify(openAIToolAnswer)] }),
    system: () => (alpha.requests.at(-1)!.body.messages as Array<{ role: string; content: unknown }>)[0],
    systemExpected: { role: 'system', content: 'Be terse.' },
  },
  {
    kind: 'gemini',
    model: 'gemini-test',
    provider: 'gem',
    fake: () => gem,
    toolCall: () => gem.enqueue({ kind: 'tool_call', calls: [{ name: 'get_weather', args: { city: 'Paris' } }] }),
    system: () => gem.requests.at(-1)!.body.systemInstruction,
    systemExpected: { parts: [{ text: 'Be terse.' }] },
  },
  {
    kind: 'anthropic',
    model: 'claude-test',
    provider: 'claude',
    fake: () => claude,
    toolCall: () => claude.enqueue({ kind: 'tool', calls: [{ id: 'toolu_x1', name: 'get_weather', input: { city: 'Paris' } }] }),
    system: () => claude.requests.at(-1)!.body.system,
    systemExpected: 'Be terse.',
  },
] as const;

const openAIToolAnswer = {
  id: 'chatcmpl-tool',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-test',
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 },
};

/** The same tool call streamed as OpenAI does: id and name first, then the arguments in pieces. */
const openAIToolStream = [
  { role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '' } }] },
  { tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
  { tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] },
  {},
]
  .map(
    (delta, i, all) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-tool', object: 'chat.completion.chunk', created: 1, model: 'gpt-test', choices: [{ index: 0, delta, finish_reason: i === all.length - 1 ? 'tool_calls' : null }] })}\n\n`,
  )
  .concat('data: [DONE]\n\n');

async function drain(stream: AsyncIterable<RawMessageStreamEvent>): Promise<RawMessageStreamEvent[]> {
  const out: RawMessageStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

describe.each(backends)('POST /v1/messages over $kind', (b) => {
  const ask = { model: b.model, max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };

  it('answers a message: text, end_turn, usage, the model asked for, routing headers', async () => {
    const { data, response } = await client()
      .messages.create({ ...ask, system: 'Be terse.' })
      .withResponse();
    expect(data).toMatchObject({ type: 'message', role: 'assistant', model: b.model, content: [{ type: 'text', text: `Hello from ${b.provider}` }], stop_reason: 'end_turn', stop_sequence: null });
    expect(data.id).toMatch(/^msg_/);
    expect(data.usage.input_tokens).toBeGreaterThan(0);
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('x-switchyard-provider')).toBe(b.provider);
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toBeTruthy();
    expect(b.system()).toEqual(b.systemExpected);
  });

  it('streams: message_start, text deltas, message_delta with usage, message_stop', async () => {
    const events = await drain(await client().messages.create({ ...ask, stream: true }));
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('message_start');
    expect(types.at(-1)).toBe('message_stop');
    const text = events.map((e) => (e.type === 'content_block_delta' && e.delta.type === 'text_delta' ? e.delta.text : '')).join('');
    expect(text).toBe(`Hello from ${b.provider}`);
    const delta = events.find((e) => e.type === 'message_delta');
    expect(delta?.type === 'message_delta' && delta.delta.stop_reason).toBe('end_turn');
    expect(delta?.type === 'message_delta' && delta.usage.output_tokens).toBeGreaterThan(0);
  });

  it('round-trips a tool use: tool_use with parsed input, then a tool_result turn', async () => {
    b.toolCall();
    const first = await client().messages.create({ ...ask, tools: [weather], tool_choice: { type: 'any' } });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((c) => c.type === 'tool_use');
    expect(use).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    const messages: MessageParam[] = [
      ...ask.messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use!.type === 'tool_use' ? use!.id : '', content: 'Sunny, 21°C' }] },
    ];
    const second = await client().messages.create({ ...ask, tools: [weather], messages });
    expect(second.content).toEqual([{ type: 'text', text: `Hello from ${b.provider}` }]);
    expect(JSON.stringify(b.fake().requests.at(-1)!.body)).toContain('Sunny, 21°C');
  });

  it('streams a tool use through the SDK stream helper', async () => {
    b.toolCall(true);
    const final = await client()
      .messages.stream({ ...ask, tools: [weather] })
      .finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content.find((c) => c.type === 'tool_use')).toMatchObject({ name: 'get_weather', input: { city: 'Paris' } });
  });
});

describe('POST /v1/messages: mapping details', () => {
  it('maps a length finish to max_tokens, and cache reads into cache_read_input_tokens', async () => {
    gem.enqueue({ kind: 'ok', finishReason: 'MAX_TOKENS' });
    expect((await client().messages.create({ model: 'gemini-test', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] })).stop_reason).toBe('max_tokens');
    claude.enqueue({ kind: 'ok', usage: { input: 10, output: 4, cacheRead: 6 } });
    const m = await client().messages.create({ model: 'claude-test', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.usage).toMatchObject({ input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 6 });
    // An anthropic provider gets the caller's own request, untouched.
    expect(claude.requests.at(-1)!.body).toEqual({ model: 'claude-test', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
  });

  it('passes a request to an anthropic provider through byte for byte: thinking blocks, cache_control, beta headers', async () => {
    const body = {
      model: 'claude-test',
      max_tokens: 64,
      thinking: { type: 'enabled', budget_tokens: 32 },
      system: [{ type: 'text', text: 'be brief', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'hi' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 'sig-abc' },
            { type: 'text', text: 'hello' },
          ],
        },
        { role: 'user', content: 'again' },
      ],
      x_future_field: [1, 2, 3],
    };
    const raw = JSON.stringify(body);
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': 'interleaved-thinking-2025-05-14' },
      body: raw,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-switchyard-native')).toBe('anthropic-messages');
    const sent = claude.requests.at(-1)!;
    expect(sent.body).toEqual(body);
    expect(sent.headers['anthropic-beta']).toBe('interleaved-thinking-2025-05-14');
    expect(sent.headers['x-api-key']).not.toBe(CLIENT_KEY);
  });

  it('sends the OpenAI request with max_tokens, stop, user and stream usage', async () => {
    await drain(
      await client().messages.create({
        model: 'gpt-test',
        max_tokens: 42,
        stop_sequences: ['###'],
        metadata: { user_id: 'u-7' },
        temperature: 0.2,
        messages: [{ role: 'user', content: 'hi' }],
        stream: true,
      }),
    );
    expect(alpha.requests.at(-1)!.body).toEqual({
      model: 'gpt-test',
      max_tokens: 42,
      stop: ['###'],
      user: 'u-7',
      temperature: 0.2,
      messages: [{ role: 'user', content: 'hi' }],
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('serves the beta path (?beta=true) and a Bearer client key', async () => {
    const m = await client({ apiKey: null, authToken: CLIENT_KEY }).beta.messages.create({ model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(m.content).toEqual([{ type: 'text', text: 'Hello from alpha' }]);
    expect(alpha.requests.at(-1)!.headers.authorization).toBe('Bearer sk-alpha-secret-0123456789');
  });

  it('fails over from a failing first provider', async () => {
    claude.enqueue({ kind: 'status', status: 529 });
    const { data, response } = await client()
      .messages.create({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    expect(data.content).toEqual([{ type: 'text', text: 'Hello from beta' }]);
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('follows x-switchyard-provider and replays an Idempotency-Key', async () => {
    const headers = { 'x-switchyard-provider': 'beta', 'idempotency-key': `k-${Date.now()}` };
    const ask = { model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
    const first = await client().messages.create(ask, { headers });
    const again = await client().messages.create(ask, { headers }).withResponse();
    expect(first.content).toEqual([{ type: 'text', text: 'Hello from beta' }]);
    expect(again.data).toEqual(first);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(beta.requests).toHaveLength(1);
  });

  it('replays a streamed answer as Anthropic events', async () => {
    const headers = { 'idempotency-key': `s-${Date.now()}` };
    const ask = { model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }], stream: true as const };
    const first = await drain(await client().messages.create(ask, { headers }));
    const again = await drain(await client().messages.create(ask, { headers }));
    expect(again).toEqual(first);
    expect(alpha.requests).toHaveLength(1);
  });

  it('a client going away mid-stream cancels it; the log line says so', async () => {
    alpha.enqueue({ kind: 'ok', text: 'one two three four five six', chunkDelayMs: 40 });
    const stream = await client().messages.create({ model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true }, { headers: { 'x-request-id': 'gone-1' } });
    for await (const e of stream) if (e.type === 'content_block_delta') break; // leaving the loop aborts the request
    await expect.poll(() => gw.logs.find((l) => l.includes('"gone-1"') && l.includes('"path":"/v1/messages"'))).toContain('"stream":"client_gone"');
  });
});

describe('POST /v1/messages: body limits', () => {
  let small: TestGateway;
  beforeAll(async () => {
    small = await startTestGateway(`providers:\n  - { name: alpha, type: openai_compatible, base_url: ${alpha.url}, api_key: sk-alpha-secret-0123456789 }\nlimits: { max_body_bytes: 300 }\n`);
  });
  afterAll(() => small.close());

  const post = (body: string, contentType = 'application/json') => fetch(`${small.url}/v1/messages`, { method: 'POST', headers: { 'content-type': contentType, 'x-api-key': 'any' }, body });

  it('413, 415 and invalid JSON come in Anthropic envelope', async () => {
    const big = await post(JSON.stringify({ model: 'gpt-test', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(400) }] }));
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ type: 'error', error: { type: 'request_too_large' } });
    const text = await post('hi', 'text/plain');
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    const broken = await post('{"model":');
    expect(broken.status).toBe(400);
    expect(broken.headers.get('request-id')).toBe(broken.headers.get('x-request-id'));
    expect(await broken.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' }, request_id: broken.headers.get('x-request-id') });
  });
});

describe('POST /v1/messages: errors in Anthropic envelope', () => {
  it('refuses a request without max_tokens: BadRequestError naming the field', async () => {
    const err = await client()
      .messages.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] } as unknown as MessageCreateParamsNonStreaming)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    const e = err as InstanceType<typeof Anthropic.BadRequestError>;
    expect(e.status).toBe(400);
    expect(e.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('max_tokens') } });
    expect(alpha.requests).toHaveLength(0);
  });

  it('refuses a wrong x-api-key with 401 authentication_error', async () => {
    const err = await client({ apiKey: 'wrong' })
      .messages.create({ model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.AuthenticationError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('an unknown model is a NotFoundError; an upstream 400 passed back is a BadRequestError with its message', async () => {
    const missing = await client()
      .messages.create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    alpha.enqueue({ kind: 'status', status: 400 });
    const rejected = await client()
      .messages.create({ model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-switchyard-fallback': 'false' } })
      .catch((e: unknown) => e);
    expect(rejected).toBeInstanceOf(Anthropic.BadRequestError);
    expect((rejected as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({ error: { type: 'invalid_request_error', message: 'alpha says 400' } });
  });

  it('every provider failing is an InternalServerError saying what was tried', async () => {
    alpha.enqueue({ kind: 'status', status: 500 });
    beta.enqueue({ kind: 'status', status: 500 });
    const err = await client()
      .messages.create({ model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.InternalServerError);
    expect((err as InstanceType<typeof Anthropic.InternalServerError>).error).toMatchObject({ error: { type: 'api_error', message: expect.stringContaining('alpha') } });
  });

  it('a stream cut by the upstream ends in an error event: the SDK iteration throws', async () => {
    alpha.enqueue({ kind: 'reset_after_chunks', chunks: 2 });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const e of await client().messages.create({ model: 'gpt-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], stream: true })) seen.push(e.type);
    })().catch((e: unknown) => e);
    expect(seen[0]).toBe('message_start');
    expect(seen).not.toContain('message_stop');
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it("an upstream's error event mid-stream keeps its kind (overloaded)", async () => {
    claude.enqueue({ kind: 'stream_error', textEvents: 2 });
    const err = await client()
      .messages.stream({ model: 'claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ error: { type: 'overloaded_error' } });
  });
});

describe('a coding session that fails over mid-conversation', () => {
  it('goes native to anthropic, fails over to an OpenAI-type provider with the tool history translated, and comes back', async () => {
    const tools = [{ name: 'read_file', description: 'Read a file', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } } }];
    // Turn 1: anthropic, natively, asks for a tool.
    claude.enqueue({ kind: 'tool', calls: [{ id: 'toolu_1', name: 'read_file', input: { path: 'a.ts' } }] });
    const first = await client().messages.create({ model: 'claude-test', max_tokens: 100, tools, messages: [{ role: 'user', content: 'read a.ts' }] });
    expect(first.stop_reason).toBe('tool_use');
    const use = first.content.find((c) => c.type === 'tool_use');
    expect(use?.type === 'tool_use' && use.id).toBe('toolu_1');

    // Turn 2: anthropic is overloaded; the history (a thinking block, the tool use, its result) goes to beta translated.
    claude.enqueue({ kind: 'status', status: 529 });
    const history = [
      { role: 'user' as const, content: 'read a.ts' },
      { role: 'assistant' as const, content: [{ type: 'thinking' as const, thinking: 'I should read it', signature: 'sig-1' }, ...first.content] },
      { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: 'toolu_1', content: 'export const a = 1;' }] },
    ];
    const { data: second, response } = await client()
      .messages.create({ model: 'claude-test', max_tokens: 100, tools, messages: history as never })
      .withResponse();
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(second.content.find((c) => c.type === 'text')).toMatchObject({ text: 'Hello from beta' });
    const sent = beta.requests.at(-1)!.body.messages as Array<{ role: string; content?: unknown; tool_calls?: Array<{ id: string }>; tool_call_id?: string }>;
    expect(sent.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
    expect(sent[1]?.tool_calls?.[0]?.id).toBe('toolu_1');
    expect(sent[2]).toMatchObject({ tool_call_id: 'toolu_1', content: 'export const a = 1;' });
    expect(JSON.stringify(sent)).not.toContain('sig-1');

    // Turn 3: anthropic is back; the whole history, thinking signature included, goes to it untouched.
    const third = await client()
      .messages.create({ model: 'claude-test', max_tokens: 100, tools, messages: [...history, { role: 'assistant', content: second.content }, { role: 'user', content: 'thanks' }] as never })
      .withResponse();
    expect(third.response.headers.get('x-switchyard-provider')).toBe('claude');
    expect(JSON.stringify(claude.requests.at(-1)!.body)).toContain('sig-1');
  });
});

describe('sampling parameters where the target has them', () => {
  it('sends top_k on to gemini as topK, with temperature and top_p', async () => {
    await client().messages.create({ model: 'gemini-test', max_tokens: 20, top_k: 7, top_p: 0.5, temperature: 0.3, messages: [{ role: 'user', content: 'hi' }] });
    const sent = gem.requests.at(-1)?.body as { generationConfig?: Record<string, unknown> };
    expect(sent.generationConfig).toMatchObject({ topK: 7, topP: 0.5, temperature: 0.3, maxOutputTokens: 20 });
  });
});

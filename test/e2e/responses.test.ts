import OpenAI from 'openai';
import type { FunctionTool, ResponseCreateParamsNonStreaming, ResponseStreamEvent } from 'openai/resources/responses/responses';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../support/fake-anthropic.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const MODEL = 'gpt-test';
const weather: FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
};

/** A chat completion calling get_weather, as an OpenAI-compatible upstream sends it. */
const toolCallAnswer = JSON.stringify({
  id: 'chatcmpl-tool',
  object: 'chat.completion',
  created: 1,
  model: MODEL,
  choices: [
    {
      index: 0,
      message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 20, completion_tokens: 8, total_tokens: 28, prompt_tokens_details: { cached_tokens: 4 } },
});

async function collect(stream: AsyncIterable<ResponseStreamEvent>): Promise<ResponseStreamEvent[]> {
  const out: ResponseStreamEvent[] = [];
  for await (const e of stream) out.push(e);
  return out;
}

const deltas = (evs: ResponseStreamEvent[]) => evs.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');

describe('POST /v1/responses over an openai_compatible provider', () => {
  const ctx = useGateway(
    ['alpha', 'beta'],
    ({ alpha, beta }) =>
      'providers:\n' +
      `  - { name: alpha, type: openai_compatible, base_url: ${alpha.url}, api_key: sk-alpha-secret-0123456789, timeout_ms: 2000 }\n` +
      `  - { name: beta, type: openai_compatible, base_url: ${beta.url}, api_key: sk-beta-secret-0123456789, timeout_ms: 2000 }\n` +
      'routing: { fallback_chain: [alpha, beta] }\ncircuit_breaker: { failure_threshold: 1000 }\n',
  );

  it('answers a Response: output_text, instructions as the system message, usage, routing headers', async () => {
    const { data, response } = await ctx
      .client()
      .responses.create({ model: MODEL, instructions: 'Be brief.', input: 'Hello', max_output_tokens: 50, metadata: { trace: 't1' } })
      .withResponse();
    expect(data.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(data).toMatchObject({ object: 'response', status: 'completed', model: MODEL, instructions: 'Be brief.', max_output_tokens: 50, metadata: { trace: 't1' } });
    expect(data.output_text).toBe('Hello from alpha');
    expect(data.output[0]).toMatchObject({ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello from alpha' }] });
    expect(data.usage).toEqual({ input_tokens: 12, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 17 });
    expect(response.headers.get('x-switchyard-provider')).toBe('alpha');
    expect(response.headers.get('x-switchyard-attempts')).toBe('1');
    expect(response.headers.get('x-request-id')).toMatch(/^req_/);
    const sent = ctx.alpha.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toEqual({
      model: MODEL,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      max_completion_tokens: 50,
    });
  });

  it('forwards text.format json_schema as response_format', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    await ctx.client().responses.create({ model: MODEL, input: 'Hi', text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } } });
    expect(ctx.alpha.requests[0]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } });
  });

  it('streams with stream: true, from response.created to response.completed, with usage', async () => {
    const evs = await collect(await ctx.client().responses.create({ model: MODEL, input: 'Hello', stream: true }));
    const types = evs.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-5)).toEqual(['response.output_text.delta', 'response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    expect(deltas(evs)).toBe('Hello from alpha');
    expect(evs.map((e) => e.sequence_number)).toEqual(evs.map((_, i) => i));
    const done = evs.at(-1);
    expect(done?.type === 'response.completed' && done.response.usage).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
    expect(ctx.alpha.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streams through the responses.stream() helper to finalResponse()', async () => {
    const stream = ctx.client().responses.stream({ model: MODEL, input: 'Hello' });
    let text = '';
    stream.on('response.output_text.delta', (e) => {
      text += e.delta;
    });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe('Hello from alpha');
    expect(text).toBe('Hello from alpha');
    expect(final.status).toBe('completed');
  });

  it('calls a function, takes its output with previous_response_id, and keeps both turns (retrieve, input_items, delete)', async () => {
    const client = ctx.client();
    ctx.alpha.enqueue({ kind: 'raw', contentType: 'application/json', writes: [toolCallAnswer] });
    const first = await client.responses.create({ model: MODEL, input: 'Weather in Paris?', tools: [weather], tool_choice: 'auto' });
    expect(first.output).toEqual([expect.objectContaining({ type: 'function_call', call_id: 'call_paris', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' })]);
    expect(first.usage?.input_tokens_details.cached_tokens).toBe(4);
    expect(ctx.alpha.requests[0]!.body.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Current weather', parameters: weather.parameters, strict: true } }]);

    const second = await client.responses.create({
      model: MODEL,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: 'call_paris', output: '{"sky":"clear"}' }],
      tools: [weather],
    });
    expect(second.output_text).toBe('Hello from alpha');
    expect(second.previous_response_id).toBe(first.id);
    expect(ctx.alpha.requests[1]!.body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_paris', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_paris', content: '{"sky":"clear"}' },
    ]);

    expect(await client.responses.retrieve(second.id)).toMatchObject({ id: second.id, output: second.output });
    const items = await client.responses.inputItems.list(second.id, { order: 'asc' });
    expect(items.data.map((i) => i.type)).toEqual(['message', 'function_call', 'function_call_output']);
    const page = await client.responses.inputItems.list(second.id, { limit: 1 });
    expect(page.data.map((i) => i.type)).toEqual(['function_call_output']);
    expect(page.hasNextPage()).toBe(true);

    await client.responses.delete(second.id);
    await expect(client.responses.retrieve(second.id)).rejects.toMatchObject({ status: 404, error: { code: 'response_not_found' } });
    await expect(client.responses.delete(second.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('does not keep a response asked not to be stored, and refuses an unknown previous_response_id', async () => {
    const r = await ctx.client().responses.create({ model: MODEL, input: 'Hi', store: false });
    await expect(ctx.client().responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    await expect(ctx.client().responses.create({ model: MODEL, input: 'Hi', previous_response_id: r.id })).rejects.toMatchObject({
      status: 400,
      error: { param: 'previous_response_id', code: 'previous_response_not_found' },
    });
  });

  it('fails over from a failing first provider', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 500 });
    const { data, response } = await ctx.client().responses.create({ model: MODEL, input: 'Hello' }).withResponse();
    expect(data.output_text).toBe('Hello from beta');
    expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    expect(response.headers.get('x-switchyard-attempts')).toBe('2');
  });

  it('ends a stream cut mid-way with response.failed', async () => {
    ctx.alpha.enqueue({ kind: 'reset_after_chunks', chunks: 2 });
    const evs = await collect(await ctx.client().responses.create({ model: MODEL, input: 'Hello there', stream: true }));
    const last = evs.at(-1);
    expect(last?.type).toBe('response.failed');
    expect(last?.type === 'response.failed' && last.response).toMatchObject({ status: 'failed', error: { code: 'server_error', message: expect.stringContaining('mid-stream') } });
    expect(evs.some((e) => e.type === 'response.completed')).toBe(false);
  });

  it('replays an Idempotency-Key repeat, streamed and not, from one upstream call each', async () => {
    const client = ctx.client();
    const once = (key: string) => ({ headers: { 'idempotency-key': key } });
    const first = await client.responses.create({ model: MODEL, input: 'Hi' }, once('k-json'));
    const { data: again, response } = await client.responses.create({ model: MODEL, input: 'Hi' }, once('k-json')).withResponse();
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.output_text).toBe(first.output_text);
    const streamed = deltas(await collect(await client.responses.create({ model: MODEL, input: 'Hi', stream: true }, once('k-sse'))));
    const replayed = await collect(await client.responses.create({ model: MODEL, input: 'Hi', stream: true }, once('k-sse')));
    expect(deltas(replayed)).toBe(streamed);
    expect(replayed.at(-1)?.type).toBe('response.completed');
    expect(ctx.alpha.requests).toHaveLength(2);
  });

  it('stops the upstream stream when the caller goes away', async () => {
    ctx.alpha.enqueue({ kind: 'ok', chunkDelayMs: 40, text: 'one two three four five six' });
    const abort = new AbortController();
    const stream = await ctx.client().responses.create({ model: MODEL, input: 'Hi', stream: true }, { signal: abort.signal });
    for await (const e of stream) if (e.type === 'response.output_text.delta') abort.abort();
    await expect.poll(() => ctx.gw.logs.some((l) => l.includes('"path":"/v1/responses"') && l.includes('"stream":"client_gone"'))).toBe(true);
    expect(ctx.gw.gateway.inFlight).toBe(0);
  });

  it('passes an upstream error envelope back as received', async () => {
    ctx.alpha.enqueue({ kind: 'status', status: 400 });
    await expect(ctx.client().responses.create({ model: MODEL, input: 'Hi' })).rejects.toMatchObject({ status: 400, message: expect.stringContaining('alpha says 400') });
  });

  it('answers 400 naming the field: a missing model, a built-in tool', async () => {
    const noModel = { input: 'Hi' } as unknown as ResponseCreateParamsNonStreaming;
    await expect(ctx.client().responses.create(noModel)).rejects.toMatchObject({ status: 400, error: { param: 'model', type: 'invalid_request_error' } });
    await expect(ctx.client().responses.create({ model: MODEL, input: 'Hi', tools: [{ type: 'web_search' }] })).rejects.toMatchObject({ status: 400, error: { param: 'tools[0].type' } });
    expect(ctx.alpha.requests).toHaveLength(0);
    const metrics = await (await fetch(`${ctx.gw.url}/metrics`)).text();
    expect(metrics).toMatch(/switchyard_http_requests_total\{route="responses",status="400"\} [1-9]/);
  });
});

describe('POST /v1/responses over an anthropic provider', () => {
  let claude: FakeAnthropic;
  let gw: TestGateway;
  beforeAll(async () => {
    claude = await FakeAnthropic.start('claude');
    gw = await startTestGateway(`providers:\n  - { name: claude, type: anthropic, base_url: ${claude.url}, api_key: sk-ant-secret-0123456789, models: [claude-test], timeout_ms: 2000 }\n`);
  });
  afterAll(async () => {
    await gw.close();
    await claude.close();
  });
  beforeEach(() => claude.reset());

  it('answers text, streamed and not', async () => {
    const r = await gw.client().responses.create({ model: 'claude-test', instructions: 'Be brief.', input: 'Hi' });
    expect(r.output_text).toBe('Hello from claude');
    expect(r.usage).toMatchObject({ input_tokens: 12, output_tokens: 5 });
    expect(claude.requests[0]!.body).toMatchObject({ system: 'Be brief.', messages: [{ role: 'user' }] });
    const evs = await collect(await gw.client().responses.create({ model: 'claude-test', input: 'Hi', stream: true }));
    expect(deltas(evs)).toBe('Hello from claude');
    expect(evs.at(-1)?.type).toBe('response.completed');
  });

  it('streams a function call, then continues from it with previous_response_id', async () => {
    claude.enqueue({ kind: 'tool', text: 'Let me check.', calls: [{ id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] });
    const first = await gw
      .client()
      .responses.stream({ model: 'claude-test', input: 'Weather in Paris?', tools: [weather] })
      .finalResponse();
    expect(first.output.map((o) => o.type)).toEqual(['message', 'function_call']);
    expect(first.output[1]).toMatchObject({ call_id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Paris"}' });
    const second = await gw.client().responses.create({ model: 'claude-test', previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: 'toolu_1', output: 'clear' }] });
    expect(second.output_text).toBe('Hello from claude');
    const sent = claude.requests[1]!.body.messages as Array<{ role: string; content: Array<{ type: string }> }>;
    expect(sent.map((m) => [m.role, m.content.map((b) => b.type)])).toEqual([
      ['user', ['text']],
      ['assistant', ['text', 'tool_use']],
      ['user', ['tool_result']],
    ]);
  });
});

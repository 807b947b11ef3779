import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakeGemini, type GeminiFault } from '../support/fake-gemini.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const KEY = 'gm-secret-key-0123456789abcdef';
const MODEL = 'gemini-2.5-flash';
const ask = { model: MODEL, messages: [{ role: 'user' as const, content: 'hi' }] };
const weatherTool: ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};

describe('gemini provider through the gateway', () => {
  let gem: FakeGemini;
  let beta: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    gem = await FakeGemini.start('gem', { expectKey: KEY });
    beta = await FakeUpstream.start('beta');
    gw = await startTestGateway(
      `providers:
  - name: gem
    type: gemini
    base_url: ${gem.url}
    api_key: ${KEY}
    timeout_ms: 2000
  - name: beta
    type: openai_compatible
    base_url: ${beta.url}
    api_key: sk-beta-secret-0123456789
circuit_breaker: { failure_threshold: 1000 }
routing: { max_retry_after_ms: 300 }
`,
    );
  });
  afterAll(async () => {
    await gw.close();
    await gem.close();
    await beta.close();
  });
  beforeEach(() => {
    gem.reset();
    beta.reset();
  });

  async function collect(stream: AsyncIterable<ChatCompletionChunk>) {
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    const finish = chunks.map((c) => c.choices[0]?.finish_reason).find(Boolean);
    return { chunks, text, finish };
  }

  it('answers a chat completion, sending the key as x-goog-api-key and never in the URL', async () => {
    const { data, response } = await gw.client().chat.completions.create(ask).withResponse();
    expect(data.choices[0]?.message.content).toBe('Hello from gem');
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.object).toBe('chat.completion');
    expect(data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    expect(response.headers.get('x-switchyard-provider')).toBe('gem');
    const got = gem.requests[0]!;
    expect(got.path).toBe(`/v1beta/models/${MODEL}:generateContent`);
    expect(got.path).not.toContain(KEY);
    expect(got.path).not.toContain('key=');
    expect(got.headers['x-goog-api-key']).toBe(KEY);
    expect(got.headers.authorization).toBeUndefined();
    expect(got.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
    expect(JSON.stringify(data)).not.toContain(KEY);
    expect(JSON.stringify([...response.headers])).not.toContain(KEY);
  });

  it('escapes the model name in the path, dot segments included', async () => {
    await gw
      .client()
      .chat.completions.create({ ...ask, model: '../../admin' })
      .catch(() => undefined);
    expect(gem.requests[0]!.path).toBe('/v1beta/models/%2E%2E/%2E%2E/admin:generateContent');
  });

  it('sends system messages as systemInstruction and parameters as generationConfig', async () => {
    await gw.client().chat.completions.create({
      model: MODEL,
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'hi' },
      ],
      temperature: 0.3,
      max_tokens: 50,
      stop: ['END'],
    });
    const body = gem.requests[0]!.body;
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'You are terse.' }] });
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: 'hi' }] }]);
    expect(body.generationConfig).toEqual({ temperature: 0.3, maxOutputTokens: 50, stopSequences: ['END'] });
  });

  it('reports thinking tokens as completion tokens', async () => {
    gem.enqueue({ kind: 'ok', thoughtsTokens: 6 });
    const data = await gw.client().chat.completions.create(ask);
    expect(data.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 10, total_tokens: 21, completion_tokens_details: { reasoning_tokens: 6 } });
  });

  it('maps MAX_TOKENS to finish_reason length', async () => {
    gem.enqueue({ kind: 'ok', text: 'cut', finishReason: 'MAX_TOKENS' });
    const data = await gw.client().chat.completions.create(ask);
    expect(data.choices[0]?.finish_reason).toBe('length');
  });

  it('streams text with a role chunk, a finish reason, the usage chunk and a clean end', async () => {
    const stream = await gw.client().chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
    const { chunks, text, finish } = await collect(stream);
    expect(text).toBe('Hello from gem');
    expect(finish).toBe('stop');
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.length).toBeGreaterThan(4);
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 4, total_tokens: 15 });
    expect(gem.requests[0]!.path).toBe(`/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`);
    expect(gem.requests[0]!.headers['x-goog-api-key']).toBe(KEY);
    expect(JSON.stringify(chunks)).not.toContain(KEY);
  });

  it('keeps multi-byte characters whole when the stream arrives in odd byte slices', async () => {
    const text = 'Température 21 °C ☀️ ok';
    gem.enqueue({ kind: 'ok', text, splitBytes: 5 });
    const { text: got, finish } = await collect(await gw.client().chat.completions.create({ ...ask, stream: true }));
    expect(got).toBe(text);
    expect(finish).toBe('stop');
  });

  it('streams without a usage chunk when none was asked for', async () => {
    const { chunks } = await collect(await gw.client().chat.completions.create({ ...ask, stream: true }));
    expect(chunks.some((c) => c.usage)).toBe(false);
  });

  it('sends a data-URL image as inlineData', async () => {
    await gw.client().chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    });
    expect(gem.requests[0]!.body.contents).toEqual([{ role: 'user', parts: [{ text: 'what is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }] }]);
  });

  describe('tool calls', () => {
    const call: GeminiFault = { kind: 'tool_call', calls: [{ name: 'get_weather', args: { city: 'Paris' } }] };

    function expectToolsSent() {
      const body = gem.requests[0]!.body;
      expect(body.tools).toEqual([
        { functionDeclarations: [{ name: 'get_weather', description: 'Current weather', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }] },
      ]);
      expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } });
    }

    async function sendResult(history: ChatCompletionMessageParam[], stream: boolean) {
      const messages: ChatCompletionMessageParam[] = [...history, { role: 'tool', tool_call_id: (history[1] as { tool_calls: Array<{ id: string }> }).tool_calls[0]!.id, content: '{"temp_c":21}' }];
      if (stream) return (await collect(await gw.client().chat.completions.create({ model: MODEL, messages, tools: [weatherTool], stream: true }))).text;
      return (await gw.client().chat.completions.create({ model: MODEL, messages, tools: [weatherTool] })).choices[0]?.message.content;
    }

    function expectResultSent() {
      expect(gem.requests[1]!.body.contents).toEqual([
        { role: 'user', parts: [{ text: 'weather in Paris?' }] },
        { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
        { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp_c: 21 } } }] },
      ]);
    }

    it('round-trips a function call (not streamed)', async () => {
      gem.enqueue(call, { kind: 'ok', text: 'It is 21 °C.' });
      const first = await gw.client().chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'weather in Paris?' }],
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
      });
      expectToolsSent();
      const msg = first.choices[0]!.message;
      expect(first.choices[0]!.finish_reason).toBe('tool_calls');
      expect(msg.content).toBeNull();
      expect(msg.tool_calls).toHaveLength(1);
      const tc = msg.tool_calls![0]!;
      expect(tc.type).toBe('function');
      expect(tc.id).toMatch(/^call_[0-9a-f]+$/);
      expect(tc.type === 'function' && tc.function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris"}' });

      const answer = await sendResult([{ role: 'user', content: 'weather in Paris?' }, msg as ChatCompletionMessageParam], false);
      expect(answer).toBe('It is 21 °C.');
      expectResultSent();
    });

    it('round-trips a function call (streamed)', async () => {
      gem.enqueue({ ...call, text: 'Let me check.' }, { kind: 'ok', text: 'It is 21 °C.' });
      const stream = await gw.client().chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: 'weather in Paris?' }],
        tools: [weatherTool],
        tool_choice: { type: 'function', function: { name: 'get_weather' } },
        stream: true,
      });
      const { chunks, text, finish } = await collect(stream);
      expectToolsSent();
      expect(text).toBe('Let me check.');
      expect(finish).toBe('tool_calls');
      const deltas = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      expect(deltas).toHaveLength(1);
      expect(deltas[0]).toMatchObject({ index: 0, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } });
      expect(deltas[0]!.id).toMatch(/^call_[0-9a-f]+$/);

      const assistant: ChatCompletionMessageParam = {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: deltas[0]!.id!, type: 'function', function: { name: 'get_weather', arguments: deltas[0]!.function!.arguments! } }],
      };
      expect(await sendResult([{ role: 'user', content: 'weather in Paris?' }, assistant], true)).toBe('It is 21 °C.');
      expectResultSent();
    });

    it('returns a thought signature with the next turn', async () => {
      gem.enqueue({ kind: 'tool_call', calls: [{ name: 'get_weather', args: { city: 'Paris' }, thoughtSignature: 'c2ln' }] });
      const first = await gw.client().chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'weather in Paris?' }], tools: [weatherTool] });
      await sendResult([{ role: 'user', content: 'weather in Paris?' }, first.choices[0]!.message as ChatCompletionMessageParam], false);
      expect((gem.requests[1]!.body.contents as Array<{ parts: unknown[] }>)[1]!.parts).toEqual([{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2ln' }]);
    });
  });

  describe('errors', () => {
    it('passes a 400 INVALID_ARGUMENT back as BadRequestError without failing over', async () => {
      gem.enqueue({ kind: 'status', status: 400 });
      const err = (await gw
        .client()
        .chat.completions.create(ask)
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.status).toBe(400);
      expect(err.message).toContain('gem says 400');
      expect(err.code).toBe('invalid_argument');
      expect(err.type).toBe('invalid_request_error');
      expect(beta.requests).toHaveLength(0);
    });

    it('answers 400 itself for a tool result that follows no tool call (Gemini needs the function name)', async () => {
      const err = (await gw
        .client()
        .chat.completions.create({
          model: MODEL,
          messages: [
            { role: 'user', content: 'hi' },
            { role: 'tool', tool_call_id: 'call_unknown', content: 'private output' },
          ],
        })
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.message).toMatch(/messages\[1\]\.tool_call_id/);
      expect(err.message).not.toContain('private output');
      expect(gem.requests).toHaveLength(0);
      expect(beta.requests).toHaveLength(0);
    });

    it('answers a blocked prompt with a 400 content_filter error', async () => {
      gem.enqueue({ kind: 'blocked', reason: 'SAFETY' });
      const err = (await gw
        .client()
        .chat.completions.create(ask)
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err.code).toBe('content_filter');
      expect(beta.requests).toHaveLength(0);
    });

    it('never shows the key, even when Google echoes it in a message', async () => {
      gem.enqueue({ kind: 'status', status: 400, body: JSON.stringify({ error: { code: 400, message: `bad request for key ${KEY}`, status: 'INVALID_ARGUMENT' } }) });
      const err = (await gw
        .client()
        .chat.completions.create(ask)
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(err.status).toBe(400);
      expect(err.message).toContain('bad request for key');
      expect(JSON.stringify(err.error)).not.toContain(KEY);
    });

    it.each<[string, GeminiFault]>([
      ['503 UNAVAILABLE', { kind: 'status', status: 503 }],
      ['429 RESOURCE_EXHAUSTED with a long RetryInfo', { kind: 'status', status: 429, retryDelay: '40s' }],
      ['500 INTERNAL', { kind: 'status', status: 500 }],
      ['504 DEADLINE_EXCEEDED', { kind: 'status', status: 504 }],
      ['403 PERMISSION_DENIED', { kind: 'status', status: 403 }],
      ['a bad key (400 API_KEY_INVALID)', { kind: 'status', status: 400, reason: 'API_KEY_INVALID' }],
      ['an HTML 502 from a proxy', { kind: 'status', status: 502, body: '<html><body>502 Bad Gateway</body></html>', contentType: 'text/html' }],
      ['a connection reset', { kind: 'reset' }],
    ])('fails over to the OpenAI provider on %s', async (_label, fault) => {
      gem.enqueue(fault);
      const { data, response } = await gw.client().chat.completions.create(ask).withResponse();
      expect(data.choices[0]?.message.content).toBe('Hello from beta');
      expect(response.headers.get('x-switchyard-provider')).toBe('beta');
      expect(response.headers.get('x-switchyard-attempts')).toBe('2');
      expect(gem.requests).toHaveLength(1);
    });

    it.each<[string, GeminiFault]>([
      ['503 UNAVAILABLE', { kind: 'status', status: 503 }],
      ['a reset before the first event', { kind: 'reset_after_chunks', chunks: 0 }],
      ['an error event as the first event', { kind: 'error_event_after_chunks', chunks: 0 }],
      ['a stream that ends without any event', { kind: 'truncate_after_chunks', chunks: 0 }],
    ])('fails a stream over before its first byte on %s', async (_label, fault) => {
      gem.enqueue(fault);
      const { text } = await collect(await gw.client().chat.completions.create({ ...ask, stream: true }));
      expect(text).toBe('Hello from beta');
      expect(beta.requests).toHaveLength(1);
    });

    it.each<[string, GeminiFault]>([
      ['an error event mid-stream', { kind: 'error_event_after_chunks', chunks: 2 }],
      ['a stream that ends without a finishReason', { kind: 'truncate_after_chunks', chunks: 2 }],
      ['a reset mid-stream', { kind: 'reset_after_chunks', chunks: 2 }],
    ])('ends the client stream with an APIError on %s', async (_label, fault) => {
      gem.enqueue(fault);
      const stream = await gw.client().chat.completions.create({ ...ask, stream: true });
      let text = '';
      const err = await (async () => {
        for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      })().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(text).toBe('Hello from');
      expect(beta.requests).toHaveLength(0);
    });
  });
});

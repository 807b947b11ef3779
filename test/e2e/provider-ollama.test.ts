import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EVAL_COUNT, FakeOllama, type OllamaFault, PROMPT_EVAL_COUNT } from '../support/fake-ollama.js';
import { FakeUpstream } from '../support/fake-upstream.js';
import { startTestGateway, type TestGateway } from '../support/harness.js';

const OLLAMA_KEY = 'sk-ollama-proxy-secret-0123456789';
const BETA_KEY = 'sk-beta-secret-0123456789';
const ask = { model: 'llama3.2', messages: [{ role: 'user' as const, content: 'hi' }] };
const weatherTool = {
  type: 'function' as const,
  function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};
const PNG_B64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

function yaml(ollamaUrl: string, betaUrl: string, ollamaExtra = `    api_key: ${OLLAMA_KEY}\n`): string {
  return (
    'providers:\n' +
    `  - name: local\n    type: ollama\n    base_url: ${ollamaUrl}\n${ollamaExtra}` +
    `  - name: beta\n    type: openai_compatible\n    base_url: ${betaUrl}\n    api_key: ${BETA_KEY}\n` +
    'circuit_breaker: { failure_threshold: 1000 }\nrouting: { max_retry_after_ms: 0 }\n'
  );
}

type ApiError = InstanceType<typeof OpenAI.APIError>;

describe('the ollama adapter through the gateway', () => {
  let o: FakeOllama;
  let b: FakeUpstream;
  let gw: TestGateway;

  beforeAll(async () => {
    o = await FakeOllama.start('ollama');
    b = await FakeUpstream.start('beta');
    gw = await startTestGateway(yaml(o.url, b.url));
  });
  afterAll(async () => {
    await gw.close();
    await o.close();
    await b.close();
  });
  beforeEach(() => {
    o.reset();
    b.reset();
  });

  it('round-trips a chat completion: native request, usage, finish reason, key as bearer header', async () => {
    const { data, response } = await gw
      .client({ apiKey: 'client-key-xyz' })
      .chat.completions.create({ ...ask, temperature: 0.3, top_p: 0.8, max_tokens: 64, stop: 'END', seed: 7, n: 1 })
      .withResponse();
    expect(data.object).toBe('chat.completion');
    expect(data.id).toMatch(/^chatcmpl-/);
    expect(data.model).toBe('llama3.2');
    expect(data.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Hello from ollama' });
    expect(data.choices[0]?.finish_reason).toBe('stop');
    expect(data.usage).toEqual({ prompt_tokens: PROMPT_EVAL_COUNT, completion_tokens: EVAL_COUNT, total_tokens: PROMPT_EVAL_COUNT + EVAL_COUNT });
    expect(data.created).toBe(Math.floor(Date.parse('2026-03-01T10:20:30Z') / 1000));
    expect(response.headers.get('x-switchyard-provider')).toBe('local');

    const got = o.requests[0]!;
    expect(got.path).toBe('/api/chat');
    expect(got.body).toEqual({
      model: 'llama3.2',
      stream: false,
      messages: [{ role: 'user', content: 'hi' }],
      options: { temperature: 0.3, top_p: 0.8, seed: 7, num_predict: 64, stop: ['END'] },
    });
    expect(got.headers.authorization).toBe(`Bearer ${OLLAMA_KEY}`);
    expect(JSON.stringify(got.headers)).not.toContain('client-key-xyz');
    const headerText = JSON.stringify([...response.headers.entries()]);
    expect(JSON.stringify(data) + headerText).not.toContain(OLLAMA_KEY);
  });

  it('streams text split inside UTF-8 characters, ends with finish_reason and a usage chunk', async () => {
    o.enqueue({ kind: 'ok', text: 'Grüße aus Köln ✓ 日本', splitLines: true });
    const stream = await gw.client().chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let finish: string | null | undefined;
    let usage: OpenAI.CompletionUsage | undefined;
    let role: string | undefined;
    for await (const chunk of stream) {
      role ??= chunk.choices[0]?.delta.role;
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(role).toBe('assistant');
    expect(text).toBe('Grüße aus Köln ✓ 日本');
    expect(finish).toBe('stop');
    expect(usage).toEqual({ prompt_tokens: PROMPT_EVAL_COUNT, completion_tokens: EVAL_COUNT, total_tokens: PROMPT_EVAL_COUNT + EVAL_COUNT });
    expect(o.requests[0]!.body.stream).toBe(true);
    expect(o.requests[0]!.body).not.toHaveProperty('stream_options');
  });

  it('accounts a stream’s tokens even when the client did not ask for the usage chunk', async () => {
    const before = await localTokens(gw);
    const stream = await gw.client().chat.completions.create({ ...ask, stream: true });
    for await (const chunk of stream) expect(chunk.usage ?? undefined).toBeUndefined();
    const after = await localTokens(gw);
    expect(after.prompt - before.prompt).toBe(PROMPT_EVAL_COUNT);
    expect(after.completion - before.completion).toBe(EVAL_COUNT);
  });

  it('sends tools, returns tool calls with JSON-string arguments, and sends the tool result back with its name', async () => {
    o.enqueue({ kind: 'ok', toolCalls: [{ name: 'get_weather', arguments: { city: 'Paris' } }] });
    const first = await gw.client().chat.completions.create({ ...ask, tools: [weatherTool], tool_choice: 'auto' });
    expect(o.requests[0]!.body.tools).toEqual([weatherTool]);
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    expect(call?.id).toMatch(/^call_/);
    const fn = call?.type === 'function' ? call.function : undefined;
    expect(fn?.name).toBe('get_weather');
    expect(typeof fn?.arguments).toBe('string');
    expect(JSON.parse(fn?.arguments ?? '')).toEqual({ city: 'Paris' });

    await gw.client().chat.completions.create({
      ...ask,
      tools: [weatherTool],
      messages: [...ask.messages, first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '18C and sunny' }],
    });
    const sent = o.requests[1]!.body.messages as unknown[];
    expect(sent.slice(1)).toEqual([
      { role: 'assistant', content: '', tool_calls: [{ id: call!.id, function: { name: 'get_weather', arguments: { city: 'Paris' } } }] },
      { role: 'tool', content: '18C and sunny', tool_name: 'get_weather', tool_call_id: call!.id },
    ]);
  });

  it('streams tool calls as OpenAI deltas with the index, id and arguments as a string', async () => {
    o.enqueue({
      kind: 'ok',
      toolCalls: [
        { name: 'get_weather', arguments: { city: 'Paris' } },
        { name: 'get_weather', arguments: { city: 'Oslo' } },
      ],
    });
    const stream = await gw.client().chat.completions.create({ ...ask, tools: [weatherTool], stream: true });
    const calls: Array<{ id?: string; name?: string; args: string }> = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const d of chunk.choices[0]?.delta.tool_calls ?? []) {
        const c = (calls[d.index] ??= { args: '' });
        if (d.id) c.id = d.id;
        if (d.function?.name) c.name = d.function.name;
        c.args += d.function?.arguments ?? '';
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(finish).toBe('tool_calls');
    expect(calls.map((c) => [c.name, JSON.parse(c.args)])).toEqual([
      ['get_weather', { city: 'Paris' }],
      ['get_weather', { city: 'Oslo' }],
    ]);
    expect(calls[0]!.id).toMatch(/^call_/);
    expect(calls[0]!.id).not.toBe(calls[1]!.id);
  });

  it('sends a data-URL image as raw base64 in images', async () => {
    await gw.client().chat.completions.create({
      model: 'llava',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this picture?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_B64}` } },
          ],
        },
      ],
    });
    expect(o.requests[0]!.body.messages).toEqual([{ role: 'user', content: 'What is in this picture?', images: [PNG_B64] }]);
  });

  it('refuses an http image URL with a 400 (Ollama cannot fetch it) without calling anyone', async () => {
    const err = (await gw
      .client()
      .chat.completions.create({ ...ask, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.test/cat.png' } }] }] })
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.code).toBe('image_url_not_supported');
    expect(err.param).toBe('messages[0].content[0].image_url.url');
    expect(o.requests).toHaveLength(0);
    expect(b.requests).toHaveLength(0);
  });

  it('passes an Ollama 400 to the client as BadRequestError in the OpenAI envelope, without failover', async () => {
    o.enqueue({ kind: 'status', status: 400, error: 'invalid format: expected "json" or a JSON schema' });
    const err = (await gw
      .client()
      .chat.completions.create(ask)
      .catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.status).toBe(400);
    expect(err.type).toBe('invalid_request_error');
    expect(err.message).toContain('invalid format');
    expect(err.headers?.get('x-switchyard-provider')).toBe('local');
    expect(b.requests).toHaveLength(0);
  });

  const failovers: Array<[string, OllamaFault, boolean]> = [
    ['500', { kind: 'status', status: 500, error: 'llama runner process has terminated: exit status 2' }, false],
    ['404 model not found', { kind: 'status', status: 404, error: 'model "llama3.2" not found, try pulling it first' }, false],
    ['429 with Retry-After', { kind: 'status', status: 429, error: 'too many requests', retryAfter: '30' }, false],
    ['502 with an HTML body', { kind: 'status', status: 502, body: '<html>Bad Gateway</html>' }, false],
    ['a reset before the response', { kind: 'reset' }, false],
    ['a 200 that is not JSON', { kind: 'malformed' }, false],
    ['500 (stream)', { kind: 'status', status: 500 }, true],
    ['an error line before any output (stream)', { kind: 'error_mid_stream', afterLines: 0 }, true],
    ['a stream that ends at once without done (stream)', { kind: 'truncate_after_lines', lines: 0 }, true],
  ];

  it.each(failovers)('fails over to the next provider on %s', async (_label, fault, stream) => {
    o.enqueue(fault);
    if (stream) {
      const { data, response } = await gw
        .client()
        .chat.completions.create({ ...ask, stream: true })
        .withResponse();
      let text = '';
      for await (const chunk of data) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toBe('Hello from beta');
      expect(response.headers.get('x-switchyard-provider')).toBe('beta');
    } else {
      const { data, response } = await gw.client().chat.completions.create(ask).withResponse();
      expect(data.choices[0]?.message.content).toBe('Hello from beta');
      expect(response.headers.get('x-switchyard-provider')).toBe('beta');
      expect(response.headers.get('x-switchyard-attempts')).toBe('2');
    }
    expect(o.requests).toHaveLength(1);
    expect(b.requests[0]!.headers.authorization).toBe(`Bearer ${BETA_KEY}`);
  });

  it.each<[string, OllamaFault, RegExp]>([
    ['an error line', { kind: 'error_mid_stream', afterLines: 2, error: 'an error was encountered while running the model' }, /an error was encountered while running the model/],
    ['a dropped connection', { kind: 'reset_after_lines', lines: 2 }, /failed mid-stream/],
    ['a clean end without the done line', { kind: 'truncate_after_lines', lines: 2 }, /ended before its final line/],
  ])('ends a stream broken mid-way by %s with an SDK APIError and counts a failure', async (_label, fault, message) => {
    const before = await localStats(gw);
    o.enqueue(fault);
    const stream = await gw.client().chat.completions.create({ ...ask, stream: true });
    let text = '';
    const err = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toMatch(message);
    expect(text).toBe('Hello from');
    expect(b.requests).toHaveLength(0);
    expect((await localStats(gw)).failures).toBe(before.failures + 1);
  });
});

describe('ollama provider configuration', () => {
  let o: FakeOllama;
  let b: FakeUpstream;

  beforeAll(async () => {
    o = await FakeOllama.start('ollama');
    b = await FakeUpstream.start('beta');
  });
  afterAll(async () => {
    await o.close();
    await b.close();
  });

  it('uses {root}/api/chat when base_url ends in /v1, and sends no Authorization without a key', async () => {
    const gw = await startTestGateway(yaml(`${o.url}/v1`, b.url, ''));
    try {
      const c = await gw.client().chat.completions.create(ask);
      expect(c.choices[0]?.message.content).toBe('Hello from ollama');
      expect(o.requests[0]!.path).toBe('/api/chat');
      expect(o.requests[0]!.headers.authorization).toBeUndefined();
    } finally {
      await gw.close();
    }
  });

  it('reports a model Ollama does not have in the error when it is the only provider', async () => {
    const solo = await startTestGateway(`providers:\n  - name: local\n    type: ollama\n    base_url: ${o.url}\n`);
    try {
      o.enqueue({ kind: 'status', status: 404, error: 'model "llama3.2" not found, try pulling it first' });
      const err = (await solo
        .client()
        .chat.completions.create(ask)
        .catch((e: unknown) => e)) as ApiError;
      expect(err).toBeInstanceOf(OpenAI.APIError);
      expect(err.message).toContain('HTTP 404');
      expect(err.message).toContain('not found, try pulling it first');
    } finally {
      await solo.close();
    }
  });
});

interface ProviderStats {
  failures: number;
  tokens: { prompt: number; completion: number };
}

async function localStats(gw: TestGateway): Promise<ProviderStats> {
  const stats = (await (await fetch(`${gw.url}/stats`)).json()) as { providers: Record<string, ProviderStats> };
  return stats.providers.local ?? { failures: 0, tokens: { prompt: 0, completion: 0 } };
}

const localTokens = async (gw: TestGateway) => (await localStats(gw)).tokens;

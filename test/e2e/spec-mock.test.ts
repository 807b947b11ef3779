/**
 * Contract test against the official spec: the `@stdy/cli` mock of openai-openapi.yaml is the upstream, and
 * every request the gateway forwards for a broad set of valid client requests must be one the mock finds valid
 * (its `x-steady-request-valid` answer, recorded by the proxy in test/support/steady-mock.ts).
 */
import type OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../support/harness.js';
import { type SteadyExchange, type SteadyMock, startSteadyMock } from '../support/steady-mock.js';

let mock: SteadyMock;
let gw: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  mock = await startSteadyMock();
  gw = await startTestGateway(`providers:\n  - name: spec\n    type: openai_compatible\n    base_url: ${mock.url}\n    api_key: sk-spec-mock-0123456789\nrouting: { fallback_chain: [spec] }\n`);
  client = gw.client();
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await mock?.stop();
});

let seen = 0;
beforeEach(() => {
  seen = mock.exchanges.length;
});

/**
 * The requests the test's call made (POSTs since the test began: the gateway's own background `GET /models`
 * are checked in the last test), each one required to be spec-valid on `path`.
 */
function expectSpecValid(path: string): SteadyExchange[] {
  const got = mock.exchanges.slice(seen).filter((x) => x.method === 'POST');
  expect(got.length, 'requests that reached the mock').toBeGreaterThan(0);
  for (const x of got) {
    expect({ path: x.path, valid: x.valid, issues: x.issues }, JSON.stringify(x.body)).toEqual({ path, valid: true, issues: [] });
    expect(x.matchedPath).toBe(path);
    expect(x.requestHeaders.authorization).toBe('Bearer sk-spec-mock-0123456789');
  }
  return got;
}

type ChatBody = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
const user = (content = 'hi'): OpenAI.Chat.Completions.ChatCompletionMessageParam => ({ role: 'user', content });
const weatherTool: OpenAI.Chat.Completions.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
};

const chatCases: Array<[string, ChatBody]> = [
  ['plain', { model: 'gpt-4o-mini', messages: [user()] }],
  [
    'every role, with tool calls and a tool result',
    {
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
        user('Weather in Paris?'),
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
        { role: 'assistant', content: 'It is 21°C.', name: 'bot' },
        { role: 'user', content: 'Thanks', name: 'ann' },
      ],
    },
  ],
  [
    'content parts with image_url',
    {
      model: 'gpt-4o',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png', detail: 'low' } },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          ],
        },
      ],
    },
  ],
  ['tools with tool_choice auto', { model: 'gpt-4o', messages: [user()], tools: [weatherTool], tool_choice: 'auto', parallel_tool_calls: false }],
  ['tools with a named tool_choice', { model: 'gpt-4o', messages: [user()], tools: [weatherTool], tool_choice: { type: 'function', function: { name: 'get_weather' } } }],
  ['tool_choice required', { model: 'gpt-4o', messages: [user()], tools: [weatherTool], tool_choice: 'required' }],
  [
    'response_format json_schema',
    {
      model: 'gpt-4o',
      messages: [user()],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'answer', strict: true, schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false } },
      },
    },
  ],
  ['response_format json_object', { model: 'gpt-4o', messages: [user('answer in JSON')], response_format: { type: 'json_object' } }],
  ['max_completion_tokens 0', { model: 'gpt-4o', messages: [user()], max_completion_tokens: 0 }],
  ['max_completion_tokens large', { model: 'gpt-4o', messages: [user()], max_completion_tokens: 1_000_000 }],
  ['max_tokens', { model: 'gpt-4o', messages: [user()], max_tokens: 16 }],
  ['temperature and top_p at their lower bounds', { model: 'gpt-4o', messages: [user()], temperature: 0, top_p: 0 }],
  ['temperature and top_p at their upper bounds', { model: 'gpt-4o', messages: [user()], temperature: 2, top_p: 1 }],
  ['penalties at their bounds', { model: 'gpt-4o', messages: [user()], presence_penalty: -2, frequency_penalty: 2 }],
  ['n', { model: 'gpt-4o', messages: [user()], n: 3 }],
  ['stop as a string', { model: 'gpt-4o', messages: [user()], stop: 'END' }],
  ['stop as an array', { model: 'gpt-4o', messages: [user()], stop: ['END', '\n\n', 'STOP', '###'] }],
  ['logprobs with top_logprobs', { model: 'gpt-4o', messages: [user()], logprobs: true, top_logprobs: 20 }],
  ['seed', { model: 'gpt-4o', messages: [user()], seed: 42 }],
  ['metadata with store', { model: 'gpt-4o', messages: [user()], store: true, metadata: { team: 'search', run: '7' } }],
  ['logit_bias, user and service_tier', { model: 'gpt-4o', messages: [user()], logit_bias: { '50256': -100 }, user: 'u-1', service_tier: 'auto' }],
  ['reasoning_effort', { model: 'o3-mini', messages: [user()], reasoning_effort: 'low' }],
];

describe('what the gateway forwards is valid by the official spec (steady mock)', () => {
  it('the mock tells an invalid request from a valid one (control, straight to the mock)', async () => {
    const send = (role: string) =>
      fetch(`${mock.mockUrl}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-x' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role, content: 'hi' }] }),
      });
    const bad = await send('narrator');
    await bad.arrayBuffer();
    expect([bad.status, bad.headers.get('x-steady-request-valid'), bad.headers.get('x-steady-error-1-path')]).toEqual([400, 'false', 'body.messages.0.role']);
    const good = await send('user');
    await good.arrayBuffer();
    expect([good.status, good.headers.get('x-steady-request-valid')]).toEqual([200, 'true']);
  });

  describe('chat completions', () => {
    it.each(chatCases)('%s', async (_name, body) => {
      const { response } = await client.chat.completions.create(body).withResponse();
      expect(response.status).toBe(200);
      const [x] = expectSpecValid('/chat/completions');
      expect(x?.body).toMatchObject({ model: body.model });
    });

    it('stream: true with stream_options.include_usage', async () => {
      // Steady answers with generated `chat.completion.chunk` events (five, 100 ms apart) and a closing
      // `event: done` instead of `data: [DONE]`; the gateway relays them as a stream all the same.
      const { data: stream, response } = await client.chat.completions.create({ model: 'gpt-4o', messages: [user()], stream: true, stream_options: { include_usage: true } }).withResponse();
      expect(response.status).toBe(200);
      let chunks = 0;
      for await (const chunk of stream) {
        chunks += 1;
        expect(chunk.object).toBe('chat.completion.chunk');
      }
      expect(chunks).toBeGreaterThan(0);
      const [x] = expectSpecValid('/chat/completions');
      expect(x?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      expect(x?.contentType).toMatch(/^text\/event-stream/);
    });
  });

  describe('legacy completions', () => {
    const cases: Array<[string, OpenAI.Completions.CompletionCreateParamsNonStreaming]> = [
      ['prompt as a string', { model: 'gpt-3.5-turbo-instruct', prompt: 'Say hi', max_tokens: 8 }],
      ['prompt as an array of strings', { model: 'gpt-3.5-turbo-instruct', prompt: ['Say hi', 'Say bye'] }],
      ['prompt as tokens', { model: 'gpt-3.5-turbo-instruct', prompt: [1212, 318, 257] }],
      [
        'prompt as arrays of tokens',
        {
          model: 'gpt-3.5-turbo-instruct',
          prompt: [
            [1212, 318],
            [257, 1332],
          ],
        },
      ],
      ['best_of 0, echo and suffix', { model: 'gpt-3.5-turbo-instruct', prompt: 'def f(', best_of: 0, echo: true, suffix: '\n    return 1' }],
      ['n, stop, logprobs, seed and temperature', { model: 'gpt-3.5-turbo-instruct', prompt: 'x', n: 2, best_of: 3, stop: ['\n'], logprobs: 5, seed: 1, temperature: 0 }],
    ];
    it.each(cases)('%s', async (_name, body) => {
      const { response } = await client.completions.create(body).withResponse();
      expect(response.status).toBe(200);
      expectSpecValid('/completions');
    });
  });

  describe('embeddings', () => {
    const cases: Array<[string, OpenAI.Embeddings.EmbeddingCreateParams]> = [
      ['a string', { model: 'text-embedding-3-small', input: 'hello' }],
      ['an array of strings', { model: 'text-embedding-3-small', input: ['hello', 'world'] }],
      ['tokens', { model: 'text-embedding-3-small', input: [15339, 1917] }],
      [
        'arrays of tokens',
        {
          model: 'text-embedding-3-small',
          input: [
            [15339, 1917],
            [15339, 0],
          ],
        },
      ],
      ['dimensions with encoding_format float', { model: 'text-embedding-3-large', input: 'hello', dimensions: 256, encoding_format: 'float', user: 'u-1' }],
      ['encoding_format base64', { model: 'text-embedding-3-small', input: 'hello', encoding_format: 'base64' }],
    ];
    it.each(cases)('%s', async (_name, body) => {
      const { response } = await client.embeddings.create(body).withResponse();
      expect(response.status).toBe(200);
      expectSpecValid('/embeddings');
    });
  });

  describe('responses (translated to chat completions for openai_compatible)', () => {
    it('instructions, input with an image and a function tool', async () => {
      const { response } = await client.responses
        .create({
          model: 'gpt-4o',
          instructions: 'Be brief.',
          input: [
            {
              role: 'user',
              content: [
                { type: 'input_text', text: 'What is this?' },
                { type: 'input_image', image_url: 'https://example.com/cat.png', detail: 'auto' },
              ],
            },
          ],
          tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }],
          tool_choice: 'auto',
          max_output_tokens: 64,
          temperature: 0.5,
          store: false,
        })
        .withResponse();
      expect(response.status).toBe(200);
      const [x] = expectSpecValid('/chat/completions');
      expect(x?.body).toMatchObject({ model: 'gpt-4o', tools: [{ type: 'function', function: { name: 'get_weather' } }] });
    });

    it('a function call and its output, with json_schema text format', async () => {
      const { response } = await client.responses
        .create({
          model: 'gpt-4o',
          input: [
            { role: 'user', content: 'Weather in Paris?' },
            { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
            { type: 'function_call_output', call_id: 'call_1', output: '{"temp":21}' },
          ],
          text: { format: { type: 'json_schema', name: 'answer', schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false }, strict: true } },
          store: false,
        })
        .withResponse();
      expect(response.status).toBe(200);
      const [x] = expectSpecValid('/chat/completions');
      const body = x?.body as { messages: Array<{ role: string }>; response_format?: { type: string } };
      expect(body.messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool']);
      expect(body.response_format?.type).toBe('json_schema');
    });
  });

  it("every request the mock saw was valid, the gateway's own included", () => {
    expect(mock.exchanges.length).toBeGreaterThanOrEqual(chatCases.length + 14);
    expect(mock.exchanges.filter((x) => !x.valid).map((x) => ({ method: x.method, path: x.path, issues: x.issues }))).toEqual([]);
  });
});

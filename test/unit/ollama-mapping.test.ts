import { describe, expect, it } from 'vitest';
import { ollamaRoot } from '../../src/providers/ollama/protocol.js';
import { toOllamaRequest } from '../../src/providers/ollama/request.js';
import { createdFrom, errorFromOllama, finishReason, type IdSource, toChatCompletion } from '../../src/providers/ollama/response.js';
import { OllamaStreamError, OllamaStreamTranslator, ollamaToOpenAIStream } from '../../src/providers/ollama/stream.js';
import { RequestMappingError } from '../../src/providers/translating/request-mapping.js';

const ids: IdSource = { completion: 'chatcmpl-test', toolCall: (n) => `call_t_${n}` };
const CREATED_AT = '2026-03-01T10:20:30.123456789Z';
const CREATED = Math.floor(Date.parse('2026-03-01T10:20:30.123Z') / 1000);

function mappingError(fn: () => unknown): RequestMappingError {
  try {
    fn();
  } catch (err) {
    if (err instanceof RequestMappingError) return err;
    throw err;
  }
  throw new Error('expected a RequestMappingError');
}

describe('ollama request mapping', () => {
  it('maps roles, joins text parts, and sets stream explicitly', () => {
    const r = toOllamaRequest(
      {
        model: 'llama3.2',
        messages: [
          { role: 'system', content: 'be brief' },
          { role: 'developer', content: [{ type: 'text', text: 'dev rule' }] },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
            ],
            name: 'bob',
          },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'ok' },
              { type: 'refusal', refusal: 'no' },
            ],
          },
        ],
      },
      false,
    );
    expect(r).toEqual({
      model: 'llama3.2',
      stream: false,
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'system', content: 'dev rule' },
        { role: 'user', content: 'a\nb' },
        { role: 'assistant', content: 'ok\nno' },
      ],
    });
    expect(toOllamaRequest({ model: 'm', messages: [] }, true).stream).toBe(true);
  });

  it('turns data-URL images into raw base64 on the message and drops audio/file parts', () => {
    const r = toOllamaRequest(
      {
        model: 'llava',
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'what is this?' },
              { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
              { type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } },
              { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
            ],
          },
        ],
      },
      false,
    );
    expect(r.messages).toEqual([{ role: 'user', content: 'what is this?', images: ['iVBORw0KGgo=', '/9j/4AAQ'] }]);
  });

  it('refuses http image URLs and non-base64 data URLs with a 400-style error naming the part', () => {
    const http = mappingError(() => toOllamaRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/cat.png' } }] }] }, false));
    expect(http.code).toBe('image_url_not_supported');
    expect(http.param).toBe('messages[0].content[0].image_url.url');
    expect(http.message).not.toContain('x.test');
    const plain = mappingError(() => toOllamaRequest({ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/svg+xml,<svg/>' } }] }] }, false));
    expect(plain.code).toBe('invalid_image_url');
  });

  it('maps assistant tool calls (arguments parsed to objects) and tool results with tool_name', () => {
    const r = toOllamaRequest(
      {
        model: 'm',
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
              { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '' } },
            ],
          },
          { role: 'tool', tool_call_id: 'call_1', content: '18C' },
          { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: 'noon' }] },
          { role: 'tool', tool_call_id: 'unknown', content: 'x' },
          { role: 'function', name: 'legacy_fn', content: 'y' },
        ],
      },
      false,
    );
    expect(r.messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { id: 'call_1', function: { name: 'get_weather', arguments: { city: 'Paris' } } },
          { id: 'call_2', function: { name: 'get_time', arguments: {} } },
        ],
      },
      { role: 'tool', content: '18C', tool_name: 'get_weather', tool_call_id: 'call_1' },
      { role: 'tool', content: 'noon', tool_name: 'get_time', tool_call_id: 'call_2' },
      { role: 'tool', content: 'x', tool_call_id: 'unknown' },
      { role: 'tool', content: 'y', tool_name: 'legacy_fn' },
    ]);
  });

  it('refuses tool-call arguments that are not a JSON object', () => {
    for (const args of ['{not json', '[1,2]', '"text"']) {
      const e = mappingError(() =>
        toOllamaRequest({ model: 'm', messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }] }] }, false),
      );
      expect(e.code).toBe('invalid_tool_arguments');
      expect(e.param).toBe('messages[0].tool_calls[0].function.arguments');
    }
  });

  const tools = [
    { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: true } },
    { type: 'function', function: { name: 'get_time' } },
    { type: 'custom', custom: { name: 'grammar' } },
  ];

  it('maps function tools (strict and custom tools dropped) and honours tool_choice where it can', () => {
    const all = toOllamaRequest({ model: 'm', messages: [], tools, tool_choice: 'auto' }, false).tools;
    expect(all).toEqual([
      { type: 'function', function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
      { type: 'function', function: { name: 'get_time' } },
    ]);
    expect(toOllamaRequest({ model: 'm', messages: [], tools, tool_choice: 'required' }, false).tools).toHaveLength(2);
    expect(toOllamaRequest({ model: 'm', messages: [], tools, tool_choice: 'none' }, false).tools).toBeUndefined();
    const forced = toOllamaRequest({ model: 'm', messages: [], tools, tool_choice: { type: 'function', function: { name: 'get_time' } } }, false).tools;
    expect(forced?.map((t) => t.function.name)).toEqual(['get_time']);
    const allowed = toOllamaRequest(
      { model: 'm', messages: [], tools, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'get_weather' } }] } } },
      false,
    ).tools;
    expect(allowed?.map((t) => t.function.name)).toEqual(['get_weather']);
  });

  it('maps sampling options, stop and max tokens into options; drops fields with no equivalent', () => {
    const r = toOllamaRequest(
      {
        model: 'm',
        messages: [{ role: 'user', content: 'hi' }],
        temperature: 0.2,
        top_p: 0.9,
        seed: 42,
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        stop: 'END',
        max_tokens: 100,
        max_completion_tokens: 50,
        n: 2,
        logprobs: true,
        logit_bias: { '1': 5 },
        user: 'u1',
        parallel_tool_calls: false,
        stream_options: { include_usage: true },
      },
      true,
    );
    expect(r).toEqual({
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
      options: { temperature: 0.2, top_p: 0.9, seed: 42, presence_penalty: 0.5, frequency_penalty: -0.5, stop: ['END'], num_predict: 50 },
    });
    const older = toOllamaRequest({ model: 'm', messages: [], max_tokens: 77, stop: ['a', 'b'] }, false);
    expect(older.options).toEqual({ num_predict: 77, stop: ['a', 'b'] });
    expect(toOllamaRequest({ model: 'm', messages: [] }, false).options).toBeUndefined();
  });

  it('merges Ollama-native options under the mapped ones and passes keep_alive and think', () => {
    const r = toOllamaRequest({ model: 'm', messages: [], options: { num_ctx: 8192, temperature: 1 }, temperature: 0.1, keep_alive: '10m', think: false }, false);
    expect(r.options).toEqual({ num_ctx: 8192, temperature: 0.1 });
    expect(r.keep_alive).toBe('10m');
    expect(r.think).toBe(false);
  });

  it('maps response_format to format', () => {
    const schema = { type: 'object', properties: { a: { type: 'number' } }, required: ['a'] };
    expect(toOllamaRequest({ model: 'm', messages: [], response_format: { type: 'json_object' } }, false).format).toBe('json');
    expect(toOllamaRequest({ model: 'm', messages: [], response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } }, false).format).toEqual(schema);
    expect(toOllamaRequest({ model: 'm', messages: [], response_format: { type: 'json_schema', json_schema: { name: 'x' } } }, false).format).toBe('json');
    expect(toOllamaRequest({ model: 'm', messages: [], response_format: { type: 'text' } }, false).format).toBeUndefined();
  });

  it('finds the server root in the configured base URL', () => {
    expect(ollamaRoot('/')).toBe('');
    expect(ollamaRoot('/v1')).toBe('');
    expect(ollamaRoot('/api/')).toBe('');
    expect(ollamaRoot('/ollama/v1/')).toBe('/ollama');
    expect(ollamaRoot('/proxy')).toBe('/proxy');
  });
});

describe('ollama response mapping', () => {
  const base = { model: 'llama3.2', created_at: CREATED_AT, done: true, prompt_eval_count: 26, eval_count: 298 };

  it('maps a text answer with usage, created and model', () => {
    const c = toChatCompletion({ ...base, message: { role: 'assistant', content: 'Hi there' }, done_reason: 'stop' }, 'fallback', ids);
    expect(c).toEqual({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: CREATED,
      model: 'llama3.2',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hi there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 26, completion_tokens: 298, total_tokens: 324 },
    });
  });

  it('maps tool calls with generated ids (or Ollama’s own) and arguments as JSON text', () => {
    const c = toChatCompletion(
      {
        ...base,
        message: {
          role: 'assistant',
          content: '',
          tool_calls: [{ function: { index: 0, name: 'get_weather', arguments: { city: 'Paris', days: 2 } } }, { id: 'call_upstream', function: { index: 1, name: 'get_time', arguments: {} } }],
        },
        done_reason: 'stop',
      },
      'm',
      ids,
    );
    expect(c?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(c?.choices[0]?.message.content).toBeNull();
    expect(c?.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_t_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","days":2}' } },
      { id: 'call_upstream', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
  });

  it('maps finish reasons', () => {
    expect(finishReason('stop', false)).toBe('stop');
    expect(finishReason('length', false)).toBe('length');
    expect(finishReason('stop', true)).toBe('tool_calls');
    expect(finishReason('load', false)).toBe('stop');
    expect(finishReason(undefined, false)).toBe('stop');
    const c = toChatCompletion({ ...base, message: { content: 'cut' }, done_reason: 'length' }, 'm', ids);
    expect(c?.choices[0]?.finish_reason).toBe('length');
  });

  it('treats missing counters as 0, missing model as the requested one, keeps thinking as reasoning_content', () => {
    const c = toChatCompletion({ message: { role: 'assistant', content: 'x', thinking: 'hmm' }, done: true }, 'asked-model', ids, () => 1_700_000_000_000);
    expect(c?.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(c?.model).toBe('asked-model');
    expect(c?.created).toBe(1_700_000_000);
    expect(c?.choices[0]?.message.reasoning_content).toBe('hmm');
    expect(createdFrom('not a date', () => 5_000)).toBe(5);
  });

  it('says when a body is not an answer', () => {
    expect(toChatCompletion({ error: 'boom' }, 'm', ids)).toBeUndefined();
    expect(toChatCompletion('text', 'm', ids)).toBeUndefined();
  });
});

/** The `data:` payloads of OpenAI SSE text, parsed (`[DONE]` kept as the string). */
function events(sse: string): unknown[] {
  expect(sse.endsWith('\n\n')).toBe(true);
  return sse
    .split('\n\n')
    .filter((e) => e !== '')
    .map((e) => {
      expect(e.startsWith('data: ')).toBe(true);
      const data = e.slice(6);
      return data === '[DONE]' ? data : (JSON.parse(data) as unknown);
    });
}

function translate(pieces: string[], includeUsage = false): { out: string; t: OllamaStreamTranslator } {
  const t = new OllamaStreamTranslator({ model: 'asked', includeUsage, ids });
  let out = '';
  for (const p of pieces) out += t.push(p);
  out += t.end();
  return { out, t };
}

/** Every two-way split, plus one character at a time. */
function splits(text: string): string[][] {
  const out: string[][] = [[text], [...text]];
  for (let i = 1; i < text.length; i++) out.push([text.slice(0, i), text.slice(i)]);
  return out;
}

const nd = (o: object) => `${JSON.stringify(o)}\n`;
const line = (message: object, extra: object = { done: false }) => nd({ model: 'llama3.2', created_at: CREATED_AT, message: { role: 'assistant', ...message }, ...extra });
const doneLine = (reason = 'stop') => line({ content: '' }, { done: true, done_reason: reason, total_duration: 1, prompt_eval_count: 26, eval_count: 3 });

const chunk = (delta: object, finish: string | null = null, extra: object = {}) => ({
  id: 'chatcmpl-test',
  object: 'chat.completion.chunk',
  created: CREATED,
  model: 'llama3.2',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  ...extra,
});

describe('ollama stream translation', () => {
  const textStream = line({ content: 'Hel' }) + line({ content: 'lo ✓' }) + doneLine();
  const expectedText = [chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hel' }), chunk({ content: 'lo ✓' }), chunk({}, 'stop'), '[DONE]'];

  it('gives the same exact chunks however the text is split', () => {
    for (const pieces of splits(textStream)) {
      expect(events(translate(pieces).out)).toEqual(expectedText);
    }
  });

  it('adds usage: null to chunks and a final usage chunk when asked, and reports usage either way', () => {
    const { out, t } = translate([textStream], true);
    const ev = events(out);
    expect(ev.slice(0, 4)).toEqual(expectedText.slice(0, 4).map((c) => ({ ...(c as object), usage: null })));
    expect(ev[4]).toEqual({
      id: 'chatcmpl-test',
      object: 'chat.completion.chunk',
      created: CREATED,
      model: 'llama3.2',
      choices: [],
      usage: { prompt_tokens: 26, completion_tokens: 3, total_tokens: 29 },
    });
    expect(ev[5]).toBe('[DONE]');
    expect(t.usage).toEqual({ promptTokens: 26, completionTokens: 3 });
    expect(translate([textStream]).t.usage).toEqual({ promptTokens: 26, completionTokens: 3 });
  });

  it('sends each whole tool call as one chunk with its index and ends with tool_calls', () => {
    const s =
      line({ content: '', tool_calls: [{ function: { index: 0, name: 'get_weather', arguments: { city: 'Paris' } } }] }) +
      line({ content: '', tool_calls: [{ function: { index: 1, name: 'get_time', arguments: {} } }] }) +
      doneLine('stop');
    const expected = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_t_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_t_1', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    ];
    for (const pieces of splits(s)) expect(events(translate(pieces).out)).toEqual(expected);
  });

  it('maps length, thinking, a last line without newline, and ignores lines after done', () => {
    const s = line({ content: '', thinking: 'let me see' }) + line({ content: 'abc' }) + doneLine('length').trimEnd();
    expect(events(translate([s]).out)).toEqual([chunk({ role: 'assistant', content: '' }), chunk({ reasoning_content: 'let me see' }), chunk({ content: 'abc' }), chunk({}, 'length'), '[DONE]']);
    expect(events(translate([doneLine() + line({ content: 'late' })]).out)).toEqual([chunk({ role: 'assistant', content: '' }), chunk({}, 'stop'), '[DONE]']);
  });

  it('throws on an error line mid-stream, after what came before was emitted', () => {
    const t = new OllamaStreamTranslator({ model: 'm', includeUsage: false, ids });
    expect(events(t.push(line({ content: 'partial' })))).toEqual([chunk({ role: 'assistant', content: '' }), chunk({ content: 'partial' })]);
    let err: unknown;
    try {
      t.push(nd({ error: 'an error was encountered while running the model: CUDA out of memory' }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OllamaStreamError);
    expect((err as OllamaStreamError).code).toBe('OLLAMA_ERROR_EVENT');
    expect((err as Error).message).toContain('CUDA out of memory');
  });

  it('throws when the stream ends without its done line', () => {
    const t = new OllamaStreamTranslator({ model: 'm', includeUsage: false, ids });
    t.push(line({ content: 'Hel' }));
    expect(() => t.end()).toThrow(expect.objectContaining({ code: 'OLLAMA_STREAM_TRUNCATED' }) as Error);
    expect(t.usage).toBeUndefined();
    const empty = new OllamaStreamTranslator({ model: 'm', includeUsage: false, ids });
    expect(() => empty.end()).toThrow(OllamaStreamError);
  });

  it('throws on a malformed line without quoting it', () => {
    const t = new OllamaStreamTranslator({ model: 'm', includeUsage: false, ids });
    let err: unknown;
    try {
      t.push('{"message": {"content": "secret prompt echo"\n');
    } catch (e) {
      err = e;
    }
    expect((err as OllamaStreamError).code).toBe('OLLAMA_MALFORMED_LINE');
    expect((err as Error).message).not.toContain('secret');
    expect(() => new OllamaStreamTranslator({ model: 'm', includeUsage: false, ids }).push('[1]\n')).toThrow(OllamaStreamError);
  });
});

/** Runs text pieces through the adapter's Transform; resolves with what came out and how it ended. */
function runTransform(pieces: string[]): Promise<{ out: string; err: unknown }> {
  const t = ollamaToOpenAIStream(new OllamaStreamTranslator({ model: 'm', includeUsage: false, ids }));
  return new Promise((resolve) => {
    let out = '';
    t.on('data', (c: Buffer) => (out += c.toString('utf8')));
    t.once('end', () => resolve({ out, err: undefined }));
    t.once('error', (err) => resolve({ out, err }));
    for (const p of pieces) t.write(p);
    t.end();
  });
}

const errorEvent = (message: string) => ({ error: { message, type: 'server_error', param: null, code: 'upstream_stream_error' } });

describe('ollama stream transform (how failures reach the gateway)', () => {
  it('passes a whole stream through to [DONE]', async () => {
    const { out, err } = await runTransform([line({ content: 'Hi' }), doneLine()]);
    expect(err).toBeUndefined();
    expect(events(out).at(-1)).toBe('[DONE]');
  });

  it('fails the stream (for failover) when the error comes before any output', async () => {
    const first = await runTransform([nd({ error: 'model failed to load' })]);
    expect(first.out).toBe('');
    expect((first.err as OllamaStreamError).code).toBe('OLLAMA_ERROR_EVENT');
    const empty = await runTransform([]);
    expect((empty.err as OllamaStreamError).code).toBe('OLLAMA_STREAM_TRUNCATED');
  });

  it('after output, sends the error in order as an OpenAI error event and ends without [DONE]', async () => {
    const later = await runTransform([line({ content: 'Hi' }), nd({ error: 'runner crashed' }), line({ content: 'ignored' })]);
    expect(later.err).toBeUndefined();
    expect(events(later.out)).toEqual([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hi' }), errorEvent('Ollama reported an error mid-stream: runner crashed')]);
    // Content and the error in one read: the content still comes first.
    const together = await runTransform([line({ content: 'Hi' }) + nd({ error: 'runner crashed' })]);
    expect(events(together.out)).toEqual(events(later.out));
    const cut = await runTransform([line({ content: 'Hi' })]);
    expect(cut.err).toBeUndefined();
    expect(events(cut.out).at(-1)).toEqual(errorEvent('The Ollama stream ended before its final line.'));
  });
});

describe('ollama error mapping', () => {
  it('keeps the status and maps 404 model-not-found, 400, 429 and 500', () => {
    expect(errorFromOllama(404, '{"error":"model \\"llama9\\" not found, try pulling it first"}')).toEqual({
      status: 404,
      message: 'model "llama9" not found, try pulling it first',
      type: 'invalid_request_error',
      code: 'model_not_found',
    });
    expect(errorFromOllama(400, '{"error":"invalid options"}')).toEqual({ status: 400, message: 'invalid options', type: 'invalid_request_error', code: null });
    expect(errorFromOllama(429, '{"error":"too many requests"}')).toMatchObject({ status: 429, type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(errorFromOllama(500, '{"error":"llama runner process has terminated"}')).toMatchObject({ status: 500, type: 'server_error', code: null });
  });

  it('gives a generic message for bodies that are not Ollama JSON, and reads OpenAI envelopes from proxies', () => {
    expect(errorFromOllama(404, '404 page not found')).toEqual({ status: 404, message: 'Ollama answered HTTP 404.', type: 'invalid_request_error', code: null });
    expect(errorFromOllama(502, '<html>Bad Gateway</html>')).toMatchObject({ message: 'Ollama answered HTTP 502.', type: 'server_error' });
    expect(errorFromOllama(401, '{"error":{"message":"bad key","type":"x"}}')).toMatchObject({ message: 'bad key', type: 'authentication_error' });
  });
});

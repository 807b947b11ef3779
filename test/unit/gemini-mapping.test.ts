import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { IMAGE_DROPPED_NOTE, toGeminiRequest } from '../../src/providers/gemini/request.js';
import { finishReasonOf, fromGeminiResponse, mapGoogleError, type ResponseContext, toOpenAIUsage } from '../../src/providers/gemini/response.js';
import { toGeminiParameters, toGeminiSchema } from '../../src/providers/gemini/schema.js';
import { GeminiStreamTranslator, openAIStream } from '../../src/providers/gemini/stream.js';
import { RequestMappingError } from '../../src/providers/translating/request-mapping.js';

const user = (content: unknown) => ({ role: 'user', content });

function ctx(): ResponseContext {
  let n = 0;
  return { id: 'chatcmpl-test', created: 1_700_000_000, model: 'gemini-2.5-flash', newToolCallId: () => `call_${++n}` };
}

describe('gemini request mapping', () => {
  it('maps roles: user → user, assistant → model, system and developer → systemInstruction', () => {
    const req = toGeminiRequest({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be terse.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use metric units.' }] },
        user('hi'),
        { role: 'assistant', content: 'hello' },
        user([{ type: 'text', text: 'how far is the moon?' }]),
      ],
    });
    expect(req.systemInstruction).toEqual({ parts: [{ text: 'Be terse.' }, { text: 'Use metric units.' }] });
    expect(req.contents).toEqual([
      { role: 'user', parts: [{ text: 'hi' }] },
      { role: 'model', parts: [{ text: 'hello' }] },
      { role: 'user', parts: [{ text: 'how far is the moon?' }] },
    ]);
    expect(req).not.toHaveProperty('model');
    expect(req).not.toHaveProperty('messages');
    expect(req).not.toHaveProperty('generationConfig');
    expect(req).not.toHaveProperty('tools');
  });

  it('maps images: data URLs inline, http(s) URLs as fileData by extension, others replaced by a note', () => {
    const req = toGeminiRequest({
      messages: [
        user([
          { type: 'text', text: 'compare' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.JPG?size=large', detail: 'high' } },
          { type: 'image_url', image_url: { url: 'https://example.com/render?id=7' } },
          { type: 'image_url', image_url: { url: 'data:image/svg+xml,%3Csvg%2F%3E' } },
        ]),
      ],
    });
    expect(req.contents[0]!.parts).toEqual([
      { text: 'compare' },
      { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } },
      { fileData: { mimeType: 'image/jpeg', fileUri: 'https://example.com/cat.JPG?size=large' } },
      { text: IMAGE_DROPPED_NOTE },
      { inlineData: { mimeType: 'image/svg+xml', data: Buffer.from('<svg/>').toString('base64') } },
    ]);
  });

  it('maps audio input and data-URL files inline', () => {
    const req = toGeminiRequest({
      messages: [
        user([
          { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
          { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0=', filename: 'a.pdf' } },
          { type: 'refusal', refusal: 'dropped' },
        ]),
      ],
    });
    expect(req.contents[0]!.parts).toEqual([{ inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } }, { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } }]);
  });

  it('maps generation parameters and drops fields without an equivalent', () => {
    const req = toGeminiRequest({
      messages: [user('x')],
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 100,
      stop: 'END',
      n: 2,
      presence_penalty: 0.5,
      frequency_penalty: -0.5,
      seed: 7,
      user: 'u-1',
      logit_bias: { '1': 2 },
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
    });
    expect(req.generationConfig).toEqual({
      temperature: 0.2,
      topP: 0.9,
      maxOutputTokens: 100,
      stopSequences: ['END'],
      candidateCount: 2,
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      seed: 7,
      responseMimeType: 'application/json',
    });
    expect(Object.keys(req).sort()).toEqual(['contents', 'generationConfig']);
  });

  it('prefers max_completion_tokens and keeps a stop list', () => {
    const req = toGeminiRequest({ messages: [user('x')], max_tokens: 10, max_completion_tokens: 20, stop: ['a', 'b'] });
    expect(req.generationConfig).toEqual({ maxOutputTokens: 20, stopSequences: ['a', 'b'] });
  });

  it('maps a json_schema response format to responseSchema without the keywords Gemini refuses', () => {
    const req = toGeminiRequest({
      messages: [user('x')],
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'r', strict: true, schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false } },
      },
    });
    expect(req.generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseSchema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] },
    });
  });

  it('maps tools to functionDeclarations with cleaned parameters', () => {
    const req = toGeminiRequest({
      messages: [user('weather?')],
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'Weather for a city',
            strict: true,
            parameters: {
              $schema: 'http://json-schema.org/draft-07/schema#',
              type: 'object',
              properties: { city: { type: 'string', format: 'uri' }, unit: { type: ['string', 'null'], enum: ['c', 'f'] } },
              required: ['city', 'missing'],
              additionalProperties: false,
            },
          },
        },
        { type: 'function', function: { name: 'now', parameters: { type: 'object', properties: {} } } },
        { type: 'custom', custom: { name: 'not_a_function' } },
      ],
      tool_choice: 'required',
    });
    expect(req.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather for a city',
            parameters: {
              type: 'object',
              properties: { city: { type: 'string' }, unit: { type: 'string', nullable: true, enum: ['c', 'f'] } },
              required: ['city'],
            },
          },
          { name: 'now' },
        ],
      },
    ]);
    expect(req.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [
      { type: 'function', function: { name: 'get_weather' } },
      { mode: 'ANY', allowedFunctionNames: ['get_weather'] },
    ],
    [
      { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'a' } }] } },
      { mode: 'ANY', allowedFunctionNames: ['a'] },
    ],
  ])('maps tool_choice %j', (choice, config) => {
    const req = toGeminiRequest({ messages: [user('x')], tools: [{ type: 'function', function: { name: 'get_weather' } }], tool_choice: choice });
    expect(req.toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('maps assistant tool calls to functionCall parts and tool results to functionResponse parts by name', () => {
    const req = toGeminiRequest({
      messages: [
        user('weather in Paris and Rome?'),
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b__thought__c2lnbmF0dXJl', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temp":21}' },
        { role: 'tool', tool_call_id: 'call_b__thought__c2lnbmF0dXJl', content: [{ type: 'text', text: 'noon' }] },
        user('thanks'),
      ],
    });
    expect(req.contents).toEqual([
      { role: 'user', parts: [{ text: 'weather in Paris and Rome?' }] },
      {
        role: 'model',
        parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: {} }, thoughtSignature: 'c2lnbmF0dXJl' }],
      },
      {
        role: 'user',
        parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }, { functionResponse: { name: 'get_time', response: { content: 'noon' } } }],
      },
      { role: 'user', parts: [{ text: 'thanks' }] },
    ]);
  });

  it('keeps arguments that are not a JSON object instead of losing them', () => {
    const req = toGeminiRequest({
      messages: [{ role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{broken' } }] }],
    });
    expect(req.contents[0]!.parts).toEqual([{ functionCall: { name: 'f', args: { arguments: '{broken' } } }]);
  });

  it('refuses a tool result whose call it cannot find (Gemini needs the function name)', () => {
    const map = () => toGeminiRequest({ messages: [user('x'), { role: 'tool', tool_call_id: 'call_nowhere', content: 'secret result' }] });
    expect(map).toThrow(RequestMappingError);
    expect(map).toThrow(/messages\[1\]\.tool_call_id/);
    expect(map).not.toThrow(/secret/);
  });
});

describe('gemini schema cleaning', () => {
  it('inlines local $refs, cuts recursion, turns oneOf into anyOf and a null branch into nullable', () => {
    const schema = {
      type: 'object',
      $defs: { Node: { type: 'object', properties: { name: { type: 'string' }, child: { $ref: '#/$defs/Node' } } } },
      properties: {
        root: { $ref: '#/$defs/Node', description: 'the root' },
        when: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
        either: { oneOf: [{ type: 'integer', format: 'int64', exclusiveMinimum: 0 }, { type: 'boolean' }] },
        tags: { type: 'array', items: { const: 'x' }, uniqueItems: true },
      },
    };
    expect(toGeminiSchema(schema)).toEqual({
      type: 'object',
      properties: {
        root: { type: 'object', properties: { name: { type: 'string' }, child: {} }, description: 'the root' },
        when: { nullable: true, type: 'string', format: 'date-time' },
        either: { anyOf: [{ type: 'integer', format: 'int64' }, { type: 'boolean' }] },
        tags: { type: 'array', items: { enum: ['x'], type: 'string' } },
      },
    });
  });

  it('gives no parameters for a function without arguments', () => {
    expect(toGeminiParameters({ type: 'object', properties: {}, additionalProperties: false })).toBeUndefined();
    expect(toGeminiParameters(undefined)).toBeUndefined();
  });
});

describe('gemini response mapping', () => {
  it('maps text, finish reason, usage (thoughts count as completion tokens) and modelVersion', () => {
    const { status, body } = fromGeminiResponse(
      {
        candidates: [{ index: 0, content: { role: 'model', parts: [{ text: 'thinking…', thought: true }, { text: 'Hello' }, { text: ' there' }] }, finishReason: 'STOP' }],
        usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, thoughtsTokenCount: 7, cachedContentTokenCount: 4, totalTokenCount: 22 },
        modelVersion: 'gemini-2.5-flash-001',
      },
      ctx(),
    );
    expect(status).toBe(200);
    expect(body).toEqual({
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gemini-2.5-flash-001',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 12,
        total_tokens: 22,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 7 },
      },
    });
  });

  it('maps function calls to tool_calls with generated ids, string arguments and finish_reason tool_calls', () => {
    const { body } = fromGeminiResponse(
      {
        candidates: [
          {
            content: {
              role: 'model',
              parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig==' }, { functionCall: { name: 'get_time', args: {} } }],
            },
            finishReason: 'STOP',
          },
        ],
      },
      ctx(),
    );
    const choice = (body as { choices: Array<Record<string, unknown>> }).choices[0]!;
    expect(choice.finish_reason).toBe('tool_calls');
    expect(choice.message).toEqual({
      role: 'assistant',
      content: null,
      refusal: null,
      tool_calls: [
        { id: 'call_1__thought__sig==', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
      ],
    });
  });

  it('maps several candidates to choices by index', () => {
    const { body } = fromGeminiResponse(
      {
        candidates: [
          { index: 1, content: { parts: [{ text: 'b' }] }, finishReason: 'MAX_TOKENS' },
          { index: 0, content: { parts: [{ text: 'a' }] }, finishReason: 'STOP' },
        ],
      },
      ctx(),
    );
    const choices = (body as { choices: Array<{ index: number; message: { content: string }; finish_reason: string }> }).choices;
    expect(choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'a', 'stop'],
      [1, 'b', 'length'],
    ]);
  });

  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', false, 'stop'],
    ['OTHER', false, 'stop'],
    [undefined, false, 'stop'],
  ])('maps finishReason %s (calls: %s) to %s', (reason, calls, expected) => {
    expect(finishReasonOf(reason, calls)).toBe(expected);
  });

  it('adds tool-use prompt tokens to prompt tokens and sums a missing total', () => {
    expect(toOpenAIUsage({ promptTokenCount: 3, toolUsePromptTokenCount: 2, candidatesTokenCount: 4 })).toEqual({ prompt_tokens: 5, completion_tokens: 4, total_tokens: 9 });
  });

  it('turns a blocked prompt into a 400 content_filter error and no candidates into a 502', () => {
    expect(fromGeminiResponse({ promptFeedback: { blockReason: 'SAFETY' } }, ctx())).toEqual({
      status: 400,
      body: { error: { message: 'Gemini blocked the prompt (blockReason SAFETY).', type: 'invalid_request_error', param: null, code: 'content_filter' } },
    });
    expect(fromGeminiResponse({ candidates: [] }, ctx()).status).toBe(502);
  });
});

describe('gemini error mapping', () => {
  const envelope = (code: number, status: string, details?: unknown[]) => JSON.stringify({ error: { code, message: `msg ${code}`, status, ...(details ? { details } : {}) } });

  it.each([
    [400, 'INVALID_ARGUMENT', 'invalid_request_error'],
    [403, 'PERMISSION_DENIED', 'permission_error'],
    [404, 'NOT_FOUND', 'invalid_request_error'],
    [429, 'RESOURCE_EXHAUSTED', 'rate_limit_error'],
    [500, 'INTERNAL', 'server_error'],
    [503, 'UNAVAILABLE', 'service_unavailable_error'],
    [504, 'DEADLINE_EXCEEDED', 'server_error'],
  ])('keeps HTTP %i (%s) and types it %s', (status, googleStatus, type) => {
    expect(mapGoogleError(status, envelope(status, googleStatus))).toEqual({
      status,
      body: { error: { message: `msg ${status}`, type, param: null, code: googleStatus.toLowerCase() } },
    });
  });

  it('turns a bad key (400 API_KEY_INVALID) into 401 so the gateway fails over', () => {
    const mapped = mapGoogleError(400, envelope(400, 'INVALID_ARGUMENT', [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }]));
    expect(mapped.status).toBe(401);
    expect(mapped.body.error).toMatchObject({ type: 'authentication_error', code: 'invalid_api_key' });
  });

  it('reads RetryInfo as a Retry-After in seconds', () => {
    const mapped = mapGoogleError(429, envelope(429, 'RESOURCE_EXHAUSTED', [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37.2s' }]));
    expect(mapped.retryAfter).toBe('38');
  });

  it('reads the array form and answers a generic message for HTML bodies', () => {
    expect(mapGoogleError(429, `[${envelope(429, 'RESOURCE_EXHAUSTED')}]`).body.error.code).toBe('resource_exhausted');
    expect(mapGoogleError(502, '<html><body>Bad Gateway</body></html>')).toEqual({
      status: 502,
      body: { error: { message: 'Gemini answered HTTP 502 without a JSON error body.', type: 'server_error', param: null, code: null } },
    });
  });
});

describe('gemini stream translation', () => {
  const ev = (obj: unknown) => `data: ${JSON.stringify(obj)}\r\n\r\n`;
  const text = (t: string, extra: Record<string, unknown> = {}) => ({ candidates: [{ content: { role: 'model', parts: [{ text: t }] }, index: 0, ...extra }] });
  const usage = { promptTokenCount: 10, candidatesTokenCount: 3, thoughtsTokenCount: 2, totalTokenCount: 15 };

  /** Feeds the stream in pieces of `size` characters; returns the parsed chunks (the `[DONE]` as a string). */
  function run(input: string, size: number, includeUsage = false): unknown[] {
    const t = new GeminiStreamTranslator({ ...ctx(), includeUsage });
    let out = '';
    for (let i = 0; i < input.length; i += size) out += t.push(input.slice(i, i + size));
    out += t.end();
    expect(out.endsWith('\n\n')).toBe(true);
    return out
      .split('\n\n')
      .filter(Boolean)
      .map((line) => {
        expect(line.startsWith('data: ')).toBe(true);
        const data = line.slice(6);
        return data === '[DONE]' ? data : (JSON.parse(data) as unknown);
      });
  }
  const chunk = (delta: Record<string, unknown>, finish: string | null = null, index = 0) => ({
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1_700_000_000,
    model: 'gemini-2.5-flash',
    choices: [{ index, delta, logprobs: null, finish_reason: finish }],
  });

  const textStream = ev(text('Hel')) + ': keep-alive comment\r\n\r\n' + ev(text('lo ✓')) + ev({ ...text('!', { finishReason: 'STOP' }), usageMetadata: usage });

  it.each([1, 2, 5, 17, 100_000])('translates text deltas identically whatever the chunking (%i chars)', (size) => {
    expect(run(textStream, size, true)).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo ✓' }),
      chunk({ content: '!' }),
      chunk({}, 'stop'),
      {
        id: 'chatcmpl-test',
        object: 'chat.completion.chunk',
        created: 1_700_000_000,
        model: 'gemini-2.5-flash',
        choices: [],
        usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, completion_tokens_details: { reasoning_tokens: 2 } },
      },
      '[DONE]',
    ]);
  });

  it('sends no usage chunk unless asked, but still knows the usage', () => {
    const t = new GeminiStreamTranslator({ ...ctx(), includeUsage: false });
    const out = t.push(textStream) + t.end();
    expect(out).not.toContain('"usage"');
    expect(t.usage()).toEqual({ promptTokens: 10, completionTokens: 5 });
  });

  it('turns whole function calls into one tool-call chunk each, finishing with tool_calls', () => {
    const calls = {
      candidates: [
        {
          content: { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig' }, { functionCall: { name: 'get_time', args: {} } }] },
          finishReason: 'STOP',
          index: 0,
        },
      ],
    };
    for (const size of [3, 1000]) {
      expect(run(ev(text('Checking.')) + ev(calls), size)).toEqual([
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Checking.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_1__thought__sig', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
        chunk({}, 'tool_calls'),
        '[DONE]',
      ]);
    }
  });

  it('maps MAX_TOKENS to length, takes a last event without its blank line, and ignores events after the finish', () => {
    const input = ev(text('a', { finishReason: 'MAX_TOKENS' })) + `data: ${JSON.stringify({ usageMetadata: usage })}`;
    expect(run(input, 4, true).slice(-3)).toEqual([chunk({}, 'length'), expect.objectContaining({ choices: [], usage: expect.objectContaining({ total_tokens: 15 }) }), '[DONE]']);
  });

  it('ends a blocked prompt as an empty content_filter answer', () => {
    expect(run(ev({ promptFeedback: { blockReason: 'SAFETY' } }), 10)).toEqual([chunk({ role: 'assistant', content: '' }), chunk({}, 'content_filter'), '[DONE]']);
  });

  it('throws on an error event mid-stream, after emitting what came before', () => {
    const t = new GeminiStreamTranslator({ ...ctx(), includeUsage: false });
    expect(t.push(ev(text('Hi')))).toContain('"content":"Hi"');
    expect(() => t.push(ev({ error: { code: 500, message: 'An internal error has occurred.', status: 'INTERNAL' } }))).toThrow(/mid-stream \(500 INTERNAL\)/);
  });

  it('returns what came before an error in the same piece, then throws on the next call', () => {
    const t = new GeminiStreamTranslator({ ...ctx(), includeUsage: false });
    const out = t.push(ev(text('Hi')) + ev({ error: { code: 503, status: 'UNAVAILABLE' } }) + ev(text('never')));
    expect(out).toContain('"content":"Hi"');
    expect(out).not.toContain('never');
    expect(() => t.end()).toThrow(/503 UNAVAILABLE/);
  });

  it('throws when the stream ends without a finishReason', () => {
    const t = new GeminiStreamTranslator({ ...ctx(), includeUsage: false });
    t.push(ev(text('Hi')));
    expect(() => t.end()).toThrow(/without a finishReason/);
    expect(() => new GeminiStreamTranslator({ ...ctx(), includeUsage: false }).end()).toThrow(/without a finishReason/);
  });

  it('throws on an event that is not JSON', () => {
    const t = new GeminiStreamTranslator({ ...ctx(), includeUsage: false });
    expect(() => t.push('data: {"candidates": [\r\n\r\n')).toThrow(/not JSON/);
  });

  it('reads a bare JSON body: an error object throws, the array form translates', () => {
    const err = new GeminiStreamTranslator({ ...ctx(), includeUsage: false });
    expect(err.push('{"error": {"code": 429, "message": "quota", ')).toBe('');
    err.push('"status": "RESOURCE_EXHAUSTED"}}');
    expect(() => err.end()).toThrow(/429 RESOURCE_EXHAUSTED/);
    const arr = new GeminiStreamTranslator({ ...ctx(), includeUsage: false });
    const out = arr.push(JSON.stringify([text('Hi'), text('!', { finishReason: 'STOP' })])) + arr.end();
    expect(out).toContain('"content":"Hi"');
    expect(out).toContain('"finish_reason":"stop"');
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

describe('gemini stream for the gateway', () => {
  const ev = (obj: unknown) => `data: ${JSON.stringify(obj)}\n\n`;
  const hi = ev({ candidates: [{ content: { parts: [{ text: 'Hi' }] } }] });

  function drain(pieces: string[]): Promise<{ text: string; error?: Error }> {
    const s = Readable.from(pieces.map((p) => Buffer.from(p))).pipe(openAIStream(new GeminiStreamTranslator({ ...ctx(), includeUsage: false })));
    let text = '';
    return new Promise((resolve) => {
      s.on('data', (c: Buffer) => (text += c.toString('utf8')));
      s.once('end', () => resolve({ text }));
      s.once('error', (error) => resolve({ text, error }));
    });
  }

  it('errors the stream when it fails before emitting anything (the gateway fails over)', async () => {
    const { text, error } = await drain([ev({ error: { code: 500, status: 'INTERNAL' } })]);
    expect(text).toBe('');
    expect(error?.message).toMatch(/mid-stream/);
  });

  it('ends with an OpenAI error event and no [DONE] when it fails after emitting', async () => {
    const { text, error } = await drain([hi]);
    expect(error).toBeUndefined();
    expect(text).toContain('"content":"Hi"');
    expect(text.endsWith('data: {"error":{"message":"Gemini stream ended without a finishReason","type":"server_error","param":null,"code":"upstream_stream_error"}}\n\n')).toBe(true);
    expect(text).not.toContain('[DONE]');
  });

  it('ends with [DONE] when the stream is complete', async () => {
    const { text, error } = await drain([hi, ev({ candidates: [{ content: { parts: [] }, finishReason: 'STOP' }] })]);
    expect(error).toBeUndefined();
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });
});

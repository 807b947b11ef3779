import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { toOpenAIError, translateHeaders } from '../../src/providers/anthropic/errors.js';
import { type AnthropicRequest, DEFAULT_MAX_TOKENS, toAnthropicRequest } from '../../src/providers/anthropic/request.js';
import { finishReason, toChatCompletion } from '../../src/providers/anthropic/response.js';
import { AnthropicStreamError, AnthropicStreamTranslator, anthropicToOpenAIStream } from '../../src/providers/anthropic/stream.js';

function mapOk(body: Record<string, unknown>, stream = false): AnthropicRequest {
  const r = toAnthropicRequest({ model: 'claude-x', ...body }, stream);
  if (!r.ok) throw new Error(`unexpected mapping error: ${r.message}`);
  return r.body;
}

function mapErr(body: Record<string, unknown>) {
  const r = toAnthropicRequest({ model: 'claude-x', ...body }, false);
  if (r.ok) throw new Error('expected a mapping error');
  return r;
}

describe('request mapping (OpenAI → Anthropic)', () => {
  it('moves system and developer messages to `system` and merges consecutive same-role turns', () => {
    const out = mapOk({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'one' },
        { role: 'user', content: [{ type: 'text', text: 'two' }] },
        { role: 'developer', content: [{ type: 'text', text: 'Use French.' }] },
        { role: 'assistant', content: 'un' },
        { role: 'assistant', content: 'deux' },
        { role: 'user', content: 'three' },
      ],
    });
    expect(out.system).toBe('Be brief.\n\nUse French.');
    expect(out.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'one' },
          { type: 'text', text: 'two' },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'un' },
          { type: 'text', text: 'deux' },
        ],
      },
      { role: 'user', content: [{ type: 'text', text: 'three' }] },
    ]);
    expect(out.model).toBe('claude-x');
  });

  it('requires max_tokens: max_completion_tokens, else max_tokens, else the default', () => {
    expect(mapOk({ messages: [{ role: 'user', content: 'hi' }] }).max_tokens).toBe(DEFAULT_MAX_TOKENS);
    expect(DEFAULT_MAX_TOKENS).toBe(4096);
    expect(mapOk({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 77 }).max_tokens).toBe(77);
    expect(mapOk({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 77, max_completion_tokens: 55 }).max_tokens).toBe(55);
  });

  it('maps stop, temperature (clamped to 1), top_p, user and stream; drops fields without an equivalent', () => {
    const out = mapOk(
      {
        messages: [{ role: 'user', content: 'hi' }],
        stop: 'END',
        temperature: 1.6,
        top_p: 0.5,
        user: 'user-42',
        seed: 7,
        presence_penalty: 0.5,
        logit_bias: { '1': 2 },
        response_format: { type: 'json_object' },
        stream_options: { include_usage: true },
        vendor_extension: true,
      },
      true,
    );
    expect(out).toEqual({
      model: 'claude-x',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
      stop_sequences: ['END'],
      temperature: 1,
      top_p: 0.5,
      metadata: { user_id: 'user-42' },
      stream: true,
    });
    expect(mapOk({ messages: [{ role: 'user', content: 'hi' }], stop: ['a', 'b'], temperature: 0.2 })).toMatchObject({ stop_sequences: ['a', 'b'], temperature: 0.2 });
    expect(mapOk({ messages: [{ role: 'user', content: 'hi' }] })).not.toHaveProperty('stream');
  });

  it('maps images: data URLs to base64 sources, http(s) URLs to url sources, PDFs to documents', () => {
    const out = mapOk({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
            { type: 'image_url', image_url: { url: 'data:application/pdf;base64,JVBERi0=' } },
            { type: 'file', file: { file_data: 'data:application/pdf;base64,JVBERi0x', filename: 'a.pdf' } },
          ],
        },
      ],
    });
    expect(out.messages[0]!.content).toEqual([
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' } },
      { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0x' } },
    ]);
  });

  it('refuses content it cannot represent with a 400-style error naming the field, not the prompt', () => {
    const bmp = mapErr({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'secret prompt' },
            { type: 'image_url', image_url: { url: 'data:image/bmp;base64,Qk0=' } },
          ],
        },
      ],
    });
    expect(bmp.param).toBe('messages[0].content[1]');
    expect(bmp.message).toMatch(/JPEG, PNG, GIF or WebP/);
    expect(bmp.message).not.toContain('secret prompt');
    const audio = mapErr({ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAA', format: 'wav' } }] }] });
    expect(audio.param).toBe('messages[0].content[0]');
    expect(audio.message).toMatch(/input_audio/);
    expect(mapErr({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'ftp://x/y.png' } }] }] }).code).toBe('invalid_image_url');
    expect(mapErr({ messages: [{ role: 'user', content: 'hi' }], n: 2 }).param).toBe('n');
  });

  it('maps tools, and tool_choice auto / none / required / named / allowed_tools', () => {
    const tools = [
      { type: 'function', function: { name: 'get_weather', description: 'Weather now', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
      { type: 'function', function: { name: 'ping' } },
      { type: 'function', function: { name: 'loose', parameters: { properties: { a: { type: 'number' } } } } },
    ];
    const base = { messages: [{ role: 'user', content: 'hi' }], tools };
    const out = mapOk(base);
    expect(out.tools).toEqual([
      { name: 'get_weather', description: 'Weather now', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { name: 'ping', input_schema: { type: 'object', properties: {} } },
      { name: 'loose', input_schema: { type: 'object', properties: { a: { type: 'number' } } } },
    ]);
    expect(out).not.toHaveProperty('tool_choice');
    expect(mapOk({ ...base, tool_choice: 'auto' }).tool_choice).toEqual({ type: 'auto' });
    expect(mapOk({ ...base, tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' });
    expect(mapOk({ ...base, tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' });
    expect(mapOk({ ...base, tool_choice: { type: 'function', function: { name: 'ping' } } }).tool_choice).toEqual({ type: 'tool', name: 'ping' });
    const allowed = mapOk({ ...base, tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'required', tools: [{ type: 'function', function: { name: 'ping' } }] } } });
    expect(allowed.tools?.map((t) => t.name)).toEqual(['ping']);
    expect(allowed.tool_choice).toEqual({ type: 'any' });
    expect(mapOk({ ...base, parallel_tool_calls: false }).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true });
    expect(mapOk({ ...base, tool_choice: 'required', parallel_tool_calls: false }).tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });
    expect(mapOk({ ...base, tool_choice: 'none', parallel_tool_calls: false }).tool_choice).toEqual({ type: 'none' });
    const noTools = mapOk({ messages: [{ role: 'user', content: 'hi' }], tool_choice: 'required' });
    expect(noTools).not.toHaveProperty('tools');
    expect(noTools).not.toHaveProperty('tool_choice');
  });

  it('maps assistant tool calls to tool_use and tool messages to one user turn of tool_results', () => {
    const out = mapOk({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Rome"' } },
            { id: 'call_3', type: 'function', function: { name: 'ping', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '18C' },
        { role: 'tool', tool_call_id: 'call_2', content: [{ type: 'text', text: '25C' }] },
        { role: 'tool', tool_call_id: 'call_3', content: '' },
        { role: 'user', content: 'Thanks, and tomorrow?' },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris and Rome?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'get_weather', input: { _raw: '{"city": "Rome"' } },
          { type: 'tool_use', id: 'call_3', name: 'ping', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: '18C' },
          { type: 'tool_result', tool_use_id: 'call_2', content: [{ type: 'text', text: '25C' }] },
          { type: 'tool_result', tool_use_id: 'call_3' },
          { type: 'text', text: 'Thanks, and tomorrow?' },
        ],
      },
    ]);
  });

  it('keeps assistant text before its tool calls, and puts tool results first in their user turn', () => {
    const out = mapOk({
      messages: [
        { role: 'user', content: 'go' },
        { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 't1', type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'user', content: 'also this' },
        { role: 'tool', tool_call_id: 't1', content: 'done' },
      ],
    });
    expect(out.messages[1]!.content).toEqual([
      { type: 'text', text: 'Checking.' },
      { type: 'tool_use', id: 't1', name: 'f', input: {} },
    ]);
    expect(out.messages[2]!.content.map((b) => b.type)).toEqual(['tool_result', 'text']);
  });

  it('starts with a user turn and drops empty text', () => {
    const out = mapOk({
      messages: [
        { role: 'system', content: 's' },
        { role: 'assistant', content: 'Hello!' },
        { role: 'user', content: '' },
        { role: 'user', content: 'ok' },
      ],
    });
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: '.' }] },
      { role: 'assistant', content: [{ type: 'text', text: 'Hello!' }] },
      { role: 'user', content: [{ type: 'text', text: 'ok' }] },
    ]);
  });
});

describe('response mapping (Anthropic → OpenAI)', () => {
  const msg = {
    id: 'msg_01',
    type: 'message',
    role: 'assistant',
    model: 'claude-x-2026',
    content: [
      { type: 'thinking', thinking: 'hmm', signature: 'sig' },
      { type: 'text', text: 'Let me check. ' },
      { type: 'text', text: 'One moment.' },
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 10, output_tokens: 7, cache_creation_input_tokens: 4, cache_read_input_tokens: 20 },
  };

  it('maps text, tool calls, finish reason, usage (cache included in prompt_tokens), id, model and created', () => {
    expect(toChatCompletion(msg, 1_700_000_000_500)).toEqual({
      id: 'msg_01',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'claude-x-2026',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me check. One moment.',
            refusal: null,
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
          },
          logprobs: null,
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 34, completion_tokens: 7, total_tokens: 41, prompt_tokens_details: { cached_tokens: 20, cache_write_tokens: 4 } },
    });
  });

  it('uses null content when there are only tool calls, and "" when there is nothing', () => {
    const only = toChatCompletion({ ...msg, content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] }, 0)!;
    expect(only.choices[0]!.message.content).toBeNull();
    expect(only.choices[0]!.message.tool_calls?.[0]?.function.arguments).toBe('{}');
    const empty = toChatCompletion({ ...msg, content: [], stop_reason: 'end_turn' }, 0)!;
    expect(empty.choices[0]!.message.content).toBe('');
    expect(empty.choices[0]!.message).not.toHaveProperty('tool_calls');
    expect(toChatCompletion({ type: 'error' }, 0)).toBeUndefined();
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
    ['model_context_window_exceeded', 'length'],
    ['pause_turn', 'stop'],
    [null, 'stop'],
  ])('maps stop_reason %s to finish_reason %s', (stop, finish) => {
    expect(finishReason(stop)).toBe(finish);
  });
});

const ev = (data: { type: string } & Record<string, unknown>) => `event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`;
const START = ev({
  type: 'message_start',
  message: {
    id: 'msg_s1',
    type: 'message',
    role: 'assistant',
    model: 'claude-x-2026',
    content: [],
    stop_reason: null,
    usage: { input_tokens: 9, output_tokens: 1, cache_read_input_tokens: 3, cache_creation_input_tokens: 0 },
  },
});
const TEXT_STREAM = [
  START,
  ev({ type: 'ping' }),
  ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Héllo' } }),
  ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' wörld' } }),
  ev({ type: 'content_block_stop', index: 0 }),
  ev({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 6 } }),
  ev({ type: 'message_stop' }),
].join('');

function translator(includeUsage = false) {
  return new AnthropicStreamTranslator({ includeUsage, nowMs: 1_700_000_000_000, model: 'claude-x' });
}

/** Feeds the text in pieces of `size` characters; returns the parsed OpenAI data payloads. */
function run(text: string, size: number, includeUsage = false) {
  const t = translator(includeUsage);
  let out = '';
  for (let i = 0; i < text.length; i += size) out += t.push(text.slice(i, i + size));
  out += t.end();
  return { t, out, payloads: parse(out) };
}

function parse(out: string): unknown[] {
  return out
    .split('\n\n')
    .filter((l) => l !== '')
    .map((l) => {
      expect(l.startsWith('data: ')).toBe(true);
      const d = l.slice(6);
      return d === '[DONE]' ? d : (JSON.parse(d) as unknown);
    });
}

const chunk = (delta: object, finish: string | null = null) => ({
  id: 'msg_s1',
  object: 'chat.completion.chunk',
  created: 1_700_000_000,
  model: 'claude-x-2026',
  choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
});

describe('stream translation (Anthropic events → OpenAI chunks)', () => {
  it.each([1, 3, 17, 100_000])('translates a text stream the same in pieces of %i characters', (size) => {
    const { out, payloads } = run(TEXT_STREAM, size);
    expect(payloads).toEqual([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Héllo' }), chunk({ content: ' wörld' }), chunk({}, 'stop'), '[DONE]']);
    expect(out.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('adds the usage chunk (choices: []) before [DONE] only when asked, and always knows the usage', () => {
    const withUsage = run(TEXT_STREAM, 50, true);
    expect(withUsage.payloads.at(-2)).toEqual({
      id: 'msg_s1',
      object: 'chat.completion.chunk',
      created: 1_700_000_000,
      model: 'claude-x-2026',
      choices: [],
      usage: { prompt_tokens: 12, completion_tokens: 6, total_tokens: 18, prompt_tokens_details: { cached_tokens: 3 } },
    });
    const without = run(TEXT_STREAM, 50, false);
    expect(without.out).not.toContain('"usage"');
    expect(without.t.usage()).toEqual({ promptTokens: 12, completionTokens: 6 });
  });

  it('translates tool calls: index counts tool calls only, first delta carries id and name, empty fragments skipped', () => {
    const stream = [
      START,
      ev({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Checking.' } }),
      ev({ type: 'content_block_stop', index: 0 }),
      ev({ type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: {} } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '' } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"city":' } }),
      ev({ type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }),
      ev({ type: 'content_block_stop', index: 1 }),
      ev({ type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_b', name: 'ping', input: {} } }),
      ev({ type: 'content_block_stop', index: 2 }),
      ev({ type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 30 } }),
      ev({ type: 'message_stop' }),
    ].join('');
    const { payloads } = run(stream, 5);
    expect(payloads).toEqual([
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: 'Checking.' }),
      chunk({ tool_calls: [{ index: 0, id: 'toolu_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'toolu_b', type: 'function', function: { name: 'ping', arguments: '' } }] }),
      chunk({}, 'tool_calls'),
      '[DONE]',
    ]);
  });

  it('accepts CRLF line endings and maps max_tokens to length', () => {
    const stream = [
      START,
      ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'cut' } }),
      ev({ type: 'message_delta', delta: { stop_reason: 'max_tokens' }, usage: { output_tokens: 1 } }),
      ev({ type: 'message_stop' }),
    ]
      .join('')
      .replace(/\n/g, '\r\n');
    expect(run(stream, 4).payloads.at(-2)).toEqual(chunk({}, 'length'));
  });

  it('throws on an error event mid-stream, keeping what was translated before it in the same piece', () => {
    const t = translator();
    const before = t.push(TEXT_STREAM.split('event: content_block_stop')[0]!);
    expect(parse(before)).toEqual([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Héllo' }), chunk({ content: ' wörld' })]);
    const t2 = translator();
    let caught: unknown;
    try {
      t2.push(START + ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }) + ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(AnthropicStreamError);
    expect((caught as AnthropicStreamError).message).toMatch(/overloaded_error.*Overloaded/);
    expect((caught as AnthropicStreamError).code).toBe('overloaded_error');
    expect(parse((caught as AnthropicStreamError).emitted)).toEqual([chunk({ role: 'assistant', content: '' }), chunk({ content: 'Hi' })]);
  });

  it('has emitted nothing when the error comes right after message_start (so the gateway can fail over)', () => {
    const t = translator();
    expect(t.push(START + ev({ type: 'ping' }))).toBe('');
    expect(() => t.push(ev({ type: 'error', error: { type: 'api_error', message: 'Internal' } }))).toThrow(/api_error/);
  });

  it('throws when the stream ends before message_stop, or sends a malformed event', () => {
    const cut = TEXT_STREAM.split('event: message_stop')[0]!;
    const t = translator();
    expect(parse(t.push(cut)).at(-1)).toEqual(chunk({}, 'stop'));
    expect(() => t.end()).toThrow(/ended before message_stop/);
    expect(() => translator().end()).toThrow(AnthropicStreamError);
    expect(() => translator().push('event: message_start\ndata: {not json\n\n')).toThrow(/not JSON/);
  });

  it('as a Node stream: decodes UTF-8 split across chunks and ends with [DONE]', async () => {
    const bytes = Buffer.from(TEXT_STREAM);
    const cutAt = bytes.indexOf(Buffer.from('é')) + 1; // inside the two-byte é
    const ok = await collect(Readable.from([bytes.subarray(0, cutAt), bytes.subarray(cutAt)]));
    expect(ok.error).toBeUndefined();
    expect(ok.text).toContain('"content":"Héllo"');
    expect(ok.text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('as a Node stream: an error event before any output destroys the stream (the gateway fails over)', async () => {
    const r = await collect(Readable.from([Buffer.from(START + ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))]));
    expect(r.text).toBe('');
    expect(r.error?.message).toMatch(/overloaded_error/);
  });

  it('as a Node stream: after output, failures are sent in-band as an OpenAI error, never [DONE]', async () => {
    const text = ev({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'partial' } });
    const failing = await collect(Readable.from([Buffer.from(START + text + ev({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }))]));
    expect(failing.error).toBeUndefined();
    const payloads = parse(failing.text);
    expect(payloads.slice(0, 2)).toEqual([chunk({ role: 'assistant', content: '' }), chunk({ content: 'partial' })]);
    expect(payloads[2]).toEqual({ error: { message: 'Anthropic stream error (overloaded_error): Overloaded', type: 'service_unavailable_error', param: null, code: 'server_is_overloaded' } });
    expect(payloads).toHaveLength(3);

    const truncated = await collect(Readable.from([Buffer.from(START + text)]));
    expect(parse(truncated.text).at(-1)).toMatchObject({ error: { type: 'server_error', code: 'stream_truncated' } });
    expect(truncated.text).not.toContain('[DONE]');

    const source = new Readable({ read() {} });
    source.push(Buffer.from(START + text));
    setTimeout(() => source.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 10);
    const reset = await collect(source);
    expect(reset.error).toBeUndefined();
    expect(parse(reset.text).at(-1)).toEqual({ error: { message: 'The connection to the provider failed mid-stream.', type: 'server_error', param: null, code: 'ECONNRESET' } });
  });

  it('as a Node stream: a connection error after message_stop still ends cleanly', async () => {
    const source = new Readable({ read() {} });
    source.push(Buffer.from(TEXT_STREAM));
    setTimeout(() => source.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })), 10);
    const r = await collect(source);
    expect(r.error).toBeUndefined();
    expect(r.text.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(r.text).not.toContain('"error"');
  });
});

function collect(source: Readable): Promise<{ text: string; error?: Error }> {
  const out = anthropicToOpenAIStream(source, translator());
  return new Promise((resolve) => {
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString('utf8')));
    out.once('end', () => resolve({ text }));
    out.once('error', (error) => resolve({ text, error }));
  });
}

describe('error mapping', () => {
  const envelope = (type: string, message: string) => JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' });

  it.each([
    [400, 'invalid_request_error', 400, 'invalid_request_error', null],
    [401, 'authentication_error', 401, 'authentication_error', 'invalid_api_key'],
    [403, 'permission_error', 403, 'permission_error', null],
    [404, 'not_found_error', 404, 'invalid_request_error', 'model_not_found'],
    [413, 'request_too_large', 413, 'invalid_request_error', 'request_too_large'],
    [429, 'rate_limit_error', 429, 'rate_limit_error', 'rate_limit_exceeded'],
    [500, 'api_error', 500, 'server_error', null],
    [504, 'timeout_error', 504, 'server_error', 'timeout'],
    [529, 'overloaded_error', 529, 'service_unavailable_error', 'server_is_overloaded'],
    [402, 'billing_error', 429, 'insufficient_quota', 'insufficient_quota'],
  ])('%i %s → %i %s / %s', (status, type, outStatus, outType, code) => {
    const e = toOpenAIError(status, envelope(type, `upstream says ${type}`));
    expect(e.status).toBe(outStatus);
    expect(e.body).toEqual({ error: { message: `upstream says ${type}`, type: outType, param: null, code } });
  });

  it('marks a prompt that does not fit as context_length_exceeded', () => {
    expect(toOpenAIError(400, envelope('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum')).body.error.code).toBe('context_length_exceeded');
  });

  it('copes with a body that is not JSON (a CDN page)', () => {
    expect(toOpenAIError(502, '<html>Bad gateway</html>')).toEqual({
      status: 502,
      body: { error: { message: 'The provider answered HTTP 502.', type: 'server_error', param: null, code: null } },
    });
    expect(toOpenAIError(418, JSON.stringify({ type: 'error', error: { type: 'teapot_error', message: 'short and stout' } })).body.error).toMatchObject({ type: 'server_error', code: 'teapot_error' });
  });

  it('passes retry-after and request-id on, drops body headers, and adds x-ratelimit-* from Anthropic’s', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const h = translateHeaders(
      {
        'retry-after': '12',
        'request-id': 'req_9',
        'content-length': '99',
        'content-type': 'application/json',
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:02Z',
        'anthropic-ratelimit-tokens-remaining': '1000',
      },
      'text/event-stream',
      now,
    );
    expect(h).toMatchObject({
      'retry-after': '12',
      'request-id': 'req_9',
      'content-type': 'text/event-stream',
      'x-ratelimit-limit-requests': '50',
      'x-ratelimit-remaining-requests': '49',
      'x-ratelimit-reset-requests': '2000ms',
      'x-ratelimit-remaining-tokens': '1000',
    });
    expect(h).not.toHaveProperty('content-length');
  });
});

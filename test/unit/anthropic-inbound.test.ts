import { describe, expect, it } from 'vitest';
import { gatewayError } from '../../src/core/errors.js';
import { anthropicErrorType, errorTypeOfOpenAI, gatewayErrorJson, upstreamErrorJson } from '../../src/http/anthropic/errors.js';
import { translateAnswer, translateWholeStream } from '../../src/http/anthropic/render.js';
import { type MessagesRequest, toChatRequest } from '../../src/http/anthropic/request.js';
import { messagesUsage, stopReason, toAnthropicMessage } from '../../src/http/anthropic/response.js';
import { MessagesStreamTranslator } from '../../src/http/anthropic/stream.js';

const base = { model: 'claude-x', max_tokens: 256 };

function chatOf(body: Record<string, unknown>): MessagesRequest {
  const r = toChatRequest({ ...base, ...body });
  if (!r.ok) throw new Error(`unexpected refusal: ${r.message}`);
  return r.body;
}

function refusal(body: unknown) {
  const r = toChatRequest(body);
  if (r.ok) throw new Error('expected a refusal');
  return r;
}

describe('request: Anthropic Messages → OpenAI chat', () => {
  it('maps model, max_tokens, a string system, sampling, stop sequences and metadata.user_id', () => {
    const r = chatOf({ system: 'Be brief.', temperature: 0.3, top_p: 0.9, top_k: 5, stop_sequences: ['###', ''], metadata: { user_id: 'u-1' }, messages: [{ role: 'user', content: 'hi' }] });
    expect(r.chat).toEqual({
      model: 'claude-x',
      max_tokens: 256,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
      ],
      stop: ['###'],
      temperature: 0.3,
      top_p: 0.9,
      top_k: 5,
      user: 'u-1',
    });
    expect(r).toMatchObject({ model: 'claude-x', stream: false, stopSequences: ['###'] });
  });

  it('joins system text blocks (cache_control dropped) and asks for usage when streaming', () => {
    const r = chatOf({
      stream: true,
      system: [
        { type: 'text', text: 'One.', cache_control: { type: 'ephemeral' } },
        { type: 'text', text: 'Two.' },
      ],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi', cache_control: { type: 'ephemeral' } }] }],
    });
    expect(r.chat.messages).toEqual([
      { role: 'system', content: 'One.\n\nTwo.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(r.chat).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(r.stream).toBe(true);
  });

  it('maps text and image blocks (base64 as a data URL, URL as is) and PDF documents', () => {
    const r = chatOf({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
            { type: 'document', title: 'a.pdf', source: { type: 'base64', media_type: 'application/pdf', data: 'JVBER' } },
            { type: 'text', text: '' },
          ],
        },
      ],
    });
    expect(r.chat.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
          { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBER' } },
        ],
      },
    ]);
  });

  it('maps tools and every tool_choice', () => {
    const tools = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } }, cache_control: { type: 'ephemeral' } }];
    const messages = [{ role: 'user', content: 'hi' }];
    const fn = { type: 'function', function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
    expect(chatOf({ tools, messages }).chat.tools).toEqual([fn]);
    const choice = (tool_choice: unknown) => {
      const { chat } = chatOf({ tools, messages, tool_choice });
      return { tool_choice: chat.tool_choice, parallel_tool_calls: chat.parallel_tool_calls };
    };
    expect(choice({ type: 'auto' })).toEqual({ tool_choice: 'auto', parallel_tool_calls: undefined });
    expect(choice({ type: 'any' })).toEqual({ tool_choice: 'required', parallel_tool_calls: undefined });
    expect(choice({ type: 'none' })).toEqual({ tool_choice: 'none', parallel_tool_calls: undefined });
    expect(choice({ type: 'tool', name: 'get_weather', disable_parallel_tool_use: true })).toEqual({
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
      parallel_tool_calls: false,
    });
    expect(chatOf({ tools: [], tool_choice: { type: 'any' }, messages }).chat).not.toHaveProperty('tool_choice');
  });

  it('maps a tool round trip: tool_use → tool_calls, tool_result (string, blocks, is_error) → tool messages ahead of the text', () => {
    const r = chatOf({
      messages: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'Let me look.', signature: 'sig' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_weather', input: { city: 'Rome' } },
          ],
        },
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_1',
              content: [
                { type: 'text', text: 'Sunny' },
                { type: 'image', source: { type: 'url', url: 'https://x/map.png' } },
              ],
            },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: 'no data', is_error: true },
            { type: 'text', text: 'Summarise.' },
          ],
        },
      ],
    });
    expect(r.chat.messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'Sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: no data' },
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'https://x/map.png' } },
          { type: 'text', text: 'Summarise.' },
        ],
      },
    ]);
  });

  it('drops thinking-only and redacted_thinking turns cleanly; a tool_use-only turn has null content', () => {
    const r = chatOf({
      messages: [
        { role: 'user', content: 'a' },
        { role: 'assistant', content: [{ type: 'redacted_thinking', data: 'xyz' }] },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't' }] },
      ],
    });
    expect(r.chat.messages).toEqual([
      { role: 'user', content: 'a' },
      { role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 't', content: '' },
    ]);
  });

  it('refuses an invalid request with a 400-style message naming the field', () => {
    expect(refusal({ model: 'm', messages: [] })).toMatchObject({ param: 'max_tokens', message: 'max_tokens: Field required', code: 'invalid_request' });
    expect(refusal({ max_tokens: 5, messages: [] })).toMatchObject({ param: 'model' });
    expect(refusal({ ...base })).toMatchObject({ param: 'messages', message: 'messages: Field required' });
    expect(refusal({ ...base, messages: 'hi' })).toMatchObject({ param: 'messages' });
    expect(refusal({ ...base, messages: [] })).toMatchObject({ param: 'messages' });
    expect(refusal({ ...base, max_tokens: 1.5, messages: [{ role: 'user', content: 'x' }] })).toMatchObject({ param: 'max_tokens' });
    expect(refusal({ ...base, messages: [{ role: 'system', content: 'x' }] })).toMatchObject({ param: 'messages.0.role' });
    expect(refusal({ ...base, messages: [{ role: 'user', content: 7 }] })).toMatchObject({ param: 'messages.0.content' });
    expect(refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'audio' }] }] })).toMatchObject({ param: 'messages.0.content.0' });
    expect(refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'tool_result' }] }] })).toMatchObject({ param: 'messages.0.content.0.tool_use_id' });
    expect(refusal({ ...base, messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'file', file_id: 'f' } }] }] })).toMatchObject({ param: 'messages.0.content.0.source.type' });
    expect(refusal({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] })).toMatchObject({ param: 'tools.0.type' });
    expect(refusal({ ...base, messages: [{ role: 'user', content: 'x' }], tools: [{ name: 'f', input_schema: {} }], tool_choice: { type: 'maybe' } })).toMatchObject({ param: 'tool_choice.type' });
    expect(refusal([1])).toMatchObject({ param: null });
  });
});

const ctx = { model: 'claude-x', stopSequences: ['###'], requestId: 'req-1' };

describe('answer: OpenAI chat completion → Anthropic message', () => {
  it('maps text, tool calls (input parsed), the requested model, a msg_ id and usage with cache reads', () => {
    const m = toAnthropicMessage(
      {
        id: 'chatcmpl-9',
        model: 'gpt-4o',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', content: 'Checking.', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
            finish_reason: 'tool_calls',
          },
        ],
        usage: { prompt_tokens: 18, completion_tokens: 4, total_tokens: 22, prompt_tokens_details: { cached_tokens: 6 } },
      },
      ctx,
    );
    expect(m).toEqual({
      id: 'msg_chatcmpl-9',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [
        { type: 'text', text: 'Checking.' },
        { type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 4, cache_creation_input_tokens: 0, cache_read_input_tokens: 6 },
    });
    expect(toAnthropicMessage({ object: 'list' }, ctx)).toBeUndefined();
  });

  it('maps each finish reason, a known stop sequence, and malformed tool arguments', () => {
    expect(stopReason('stop', undefined, [], false)).toEqual({ stop_reason: 'end_turn', stop_sequence: null });
    expect(stopReason('length', undefined, [], false).stop_reason).toBe('max_tokens');
    expect(stopReason('tool_calls', undefined, [], true).stop_reason).toBe('tool_use');
    expect(stopReason('stop', undefined, [], true).stop_reason).toBe('tool_use');
    expect(stopReason('content_filter', undefined, [], false).stop_reason).toBe('refusal');
    expect(stopReason(null, undefined, [], false).stop_reason).toBe('end_turn');
    expect(stopReason('stop', '###', ['###'], false)).toEqual({ stop_reason: 'stop_sequence', stop_sequence: '###' });
    expect(stopReason('stop', 42, ['###'], false).stop_reason).toBe('end_turn');
    const m = toAnthropicMessage({ choices: [{ message: { content: null, tool_calls: [{ id: 'c', function: { name: 'f', arguments: '{bad' } }] }, finish_reason: 'tool_calls' }] }, ctx);
    expect(m?.content).toEqual([{ type: 'tool_use', id: 'c', name: 'f', input: { _raw: '{bad' } }]);
    expect(m?.id).toBe('msg_req-1');
    expect(toAnthropicMessage({ choices: [{ message: { content: 'a' }, finish_reason: 'stop', stop_reason: '###' }] }, ctx)).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: '###' });
  });

  it('takes cache writes out of input tokens; a missing usage is zeros', () => {
    expect(messagesUsage({ prompt_tokens: 20, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 6, cache_write_tokens: 2 } })).toEqual({
      input_tokens: 12,
      output_tokens: 3,
      cache_creation_input_tokens: 2,
      cache_read_input_tokens: 6,
    });
    expect(messagesUsage(undefined)).toEqual({ input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });
  });

  it('turns upstream errors and non-completions into Anthropic envelopes', () => {
    const e = translateAnswer(429, '{"error":{"message":"slow down","type":"rate_limit_error"}}', ctx);
    expect(e.status).toBe(429);
    expect(JSON.parse(e.body)).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' }, request_id: 'req-1' });
    const bad = translateAnswer(200, 'not json', ctx);
    expect(bad.status).toBe(502);
    expect(JSON.parse(bad.body).error.type).toBe('api_error');
  });
});

/** The events of an Anthropic SSE text, parsed. */
function events(sse: string): Array<{ event: string; data: Record<string, unknown> }> {
  return sse
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const [ev, data] = block.split('\n');
      const name = ev!.slice('event: '.length);
      const parsed = JSON.parse(data!.slice('data: '.length)) as Record<string, unknown>;
      expect(parsed.type).toBe(name);
      return { event: name, data: parsed };
    });
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null, extra: Record<string, unknown> = {}) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-7', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish, ...extra }] })}\n\n`;
const usageChunk = `data: ${JSON.stringify({ id: 'chatcmpl-7', choices: [], usage: { prompt_tokens: 10, completion_tokens: 3, prompt_tokens_details: { cached_tokens: 4 } } })}\n\n`;

describe('stream: OpenAI chunks → Anthropic events', () => {
  it('translates a text stream, cut anywhere, into message_start, one text block, message_delta and message_stop', () => {
    const sse = chunk({ role: 'assistant', content: '' }) + chunk({ content: 'Hel' }) + chunk({ content: 'lo ✓' }) + chunk({}, 'stop') + usageChunk + 'data: [DONE]\n\n';
    for (const cut of [1, 7, 50, sse.length]) {
      const t = new MessagesStreamTranslator(ctx);
      let out = '';
      for (let i = 0; i < sse.length; i += cut) out += t.push(sse.slice(i, i + cut));
      out += t.end({ kind: 'complete' });
      const evs = events(out);
      expect(evs.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop']);
      expect(evs[0]!.data.message).toMatchObject({ id: 'msg_chatcmpl-7', model: 'claude-x', content: [], stop_reason: null });
      expect(evs[1]!.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      expect(evs[3]!.data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo ✓' } });
      expect(evs[5]!.data).toEqual({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { input_tokens: 6, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 4 },
      });
    }
  });

  it('opens a tool_use block per tool call after the text, with input_json_delta fragments as they come', () => {
    const t = new MessagesStreamTranslator(ctx);
    const call = (index: number, fn: Record<string, unknown>, id?: string) => chunk({ tool_calls: [{ index, ...(id ? { id, type: 'function' } : {}), function: fn }] });
    const out =
      t.push(chunk({ content: 'Checking.' })) +
      t.push(call(0, { name: 'get_weather', arguments: '' }, 'call_a') + call(0, { arguments: '{"city":' }) + call(0, { arguments: '"Paris"}' })) +
      t.push(call(1, { name: 'get_time', arguments: '{}' }, 'call_b') + chunk({}, 'tool_calls') + 'data: [DONE]\n\n') +
      t.end({ kind: 'complete' });
    const evs = events(out);
    expect(evs.map((e) => `${e.event}${e.data.index ?? ''}`)).toEqual([
      'message_start',
      'content_block_start0',
      'content_block_delta0',
      'content_block_stop0',
      'content_block_start1',
      'content_block_delta1',
      'content_block_delta1',
      'content_block_stop1',
      'content_block_start2',
      'content_block_delta2',
      'content_block_stop2',
      'message_delta',
      'message_stop',
    ]);
    expect(evs[4]!.data.content_block).toEqual({ type: 'tool_use', id: 'call_a', name: 'get_weather', input: {} });
    expect(evs[6]!.data.delta).toEqual({ type: 'input_json_delta', partial_json: '"Paris"}' });
    expect(evs[11]!.data).toMatchObject({ delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 0 } });
  });

  it('names the stop sequence a provider says it matched', () => {
    const t = new MessagesStreamTranslator(ctx);
    const out = t.push(chunk({ content: 'a' }) + chunk({}, 'stop', { stop_reason: '###' })) + t.end({ kind: 'complete' });
    expect(events(out).at(-2)!.data.delta).toEqual({ stop_reason: 'stop_sequence', stop_sequence: '###' });
  });

  it('ends with exactly one error event: an upstream error event, or a cut', () => {
    const t = new MessagesStreamTranslator(ctx);
    const out = t.push(chunk({ content: 'a' }) + `data: ${JSON.stringify({ error: { message: 'Overloaded', type: 'service_unavailable_error', code: 'server_is_overloaded' } })}\n\n`);
    const tail = t.end({ kind: 'failed', message: 'cut' });
    expect(tail).toBe('');
    expect(t.failed).toBe(true);
    expect(events(out).at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } } });

    const cut = new MessagesStreamTranslator(ctx);
    const evs = events(cut.push(chunk({ content: 'a' })) + cut.end({ kind: 'failed', message: 'The upstream stream ended before it was complete.' }));
    expect(evs.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'content_block_delta', 'error']);
    expect(evs.at(-1)!.data.error).toEqual({ type: 'api_error', message: 'The upstream stream ended before it was complete.' });
    expect(cut.end({ kind: 'complete' })).toBe('');
  });

  it('replays a whole stored stream', () => {
    const evs = events(translateWholeStream(chunk({ content: 'hi' }) + chunk({}, 'length') + 'data: [DONE]\n\n', ctx));
    expect(evs.at(-2)!.data.delta).toEqual({ stop_reason: 'max_tokens', stop_sequence: null });
  });
});

describe('errors in Anthropic envelope', () => {
  it('maps statuses and OpenAI error kinds to Anthropic error types', () => {
    const types = [400, 401, 402, 403, 404, 409, 413, 422, 429, 500, 502, 503, 504, 529].map(anthropicErrorType);
    expect(types).toEqual([
      'invalid_request_error',
      'authentication_error',
      'billing_error',
      'permission_error',
      'not_found_error',
      'invalid_request_error',
      'request_too_large',
      'invalid_request_error',
      'rate_limit_error',
      'api_error',
      'api_error',
      'overloaded_error',
      'timeout_error',
      'overloaded_error',
    ]);
    expect(errorTypeOfOpenAI({ type: 'rate_limit_error', code: 'rate_limit_exceeded' })).toBe('rate_limit_error');
    expect(errorTypeOfOpenAI({ type: 'server_error', code: null })).toBe('api_error');
    expect(errorTypeOfOpenAI('boom')).toBe('api_error');
  });

  it('renders gateway errors and upstream bodies without a message', () => {
    expect(JSON.parse(gatewayErrorJson(gatewayError('model_not_found', 'No such model.', 'model'), 'r'))).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'No such model.' },
      request_id: 'r',
    });
    expect(JSON.parse(upstreamErrorJson(503, Buffer.from('<html>')))).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'The provider answered HTTP 503.' } });
  });
});

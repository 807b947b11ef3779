import { accumulateResponse } from 'openai/lib/responses/ResponseAccumulator';
import type { ResponseStreamEvent, Response as SdkResponse } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { readInput, toChatMessages } from '../../src/http/responses/items.js';
import { chatRequest, type ResponsesRequest, readResponsesRequest } from '../../src/http/responses/request.js';
import { responseFromChat, responseSkeleton, responsesUsage } from '../../src/http/responses/response.js';
import { inputItemsPage } from '../../src/http/responses/routes.js';
import { ResponseStore } from '../../src/http/responses/store.js';
import { ResponsesStream } from '../../src/http/responses/stream.js';
import type { Item, ResponseObject } from '../../src/http/responses/wire.js';

/** Ids that say what they are and in which order they were made. */
function counterIds() {
  let n = 0;
  return (prefix: string) => `${prefix}_${++n}`;
}

function read(body: unknown): ResponsesRequest {
  const r = readResponsesRequest(body, counterIds());
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

function refusal(body: unknown) {
  const r = readResponsesRequest(body, counterIds());
  if (r.ok) throw new Error('expected a refusal');
  return r;
}

const base = (r: ResponsesRequest = read({ model: 'm', input: 'hi' })) => responseSkeleton(r.model, r.echo, 'resp_1', 1000);

describe('Responses request -> chat request', () => {
  it('puts instructions first as the system message and a string input as the user message', () => {
    const r = read({ model: 'gpt-4o', instructions: 'Be brief.', input: 'Hello', temperature: 0.2, top_p: 0.9, max_output_tokens: 64, user: 'u1', reasoning: { effort: 'low' } });
    expect(chatRequest(r, [])).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      temperature: 0.2,
      top_p: 0.9,
      user: 'u1',
      max_completion_tokens: 64,
      reasoning_effort: 'low',
    });
  });

  it('asks a stream for its usage chunk, and echoes metadata without sending it to chat', () => {
    const r = read({ model: 'm', input: 'hi', stream: true, metadata: { trace: 't1' } });
    const chat = chatRequest(r, []);
    expect(chat).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(chat.metadata).toBeUndefined();
    expect(r.echo.metadata).toEqual({ trace: 't1' });
    expect(r.store).toBe(true);
    expect(read({ model: 'm', input: 'hi', store: false }).store).toBe(false);
  });

  it('translates message items with text and image parts, function calls and their outputs; drops reasoning', () => {
    const r = read({
      model: 'm',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,AAA', detail: 'low' },
          ],
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me look.', annotations: [] }] },
        { type: 'function_call', call_id: 'call_a', name: 'look', arguments: '{"x":1}' },
        { type: 'function_call', call_id: 'call_b', name: 'look', arguments: '{"x":2}' },
        { type: 'function_call_output', call_id: 'call_a', output: 'a cat' },
        { type: 'function_call_output', call_id: 'call_b', output: [{ type: 'input_text', text: 'a dog' }] },
        { role: 'developer', content: 'Answer in French.' },
      ],
    });
    expect(r.input.map((i) => i.type)).toEqual(['message', 'message', 'function_call', 'function_call', 'function_call_output', 'function_call_output', 'message']);
    expect(chatRequest(r, []).messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAA', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Let me look.',
        tool_calls: [
          { id: 'call_a', type: 'function', function: { name: 'look', arguments: '{"x":1}' } },
          { id: 'call_b', type: 'function', function: { name: 'look', arguments: '{"x":2}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_a', content: 'a cat' },
      { role: 'tool', tool_call_id: 'call_b', content: 'a dog' },
      { role: 'developer', content: 'Answer in French.' },
    ]);
  });

  it('gives items ids (keeping the caller’s) and prepends history', () => {
    const items = readInput(
      [
        { role: 'user', content: 'one', id: 'msg_mine' },
        { role: 'user', content: 'two' },
      ],
      counterIds(),
    );
    expect(items.ok && items.value.map((i) => i.id)).toEqual(['msg_mine', 'msg_1']);
    const history: Item[] = [{ id: 'fc_9', type: 'function_call', call_id: 'c9', name: 'f', arguments: '{}', status: 'completed' }];
    const r = read({ model: 'm', previous_response_id: 'resp_0', input: [{ type: 'function_call_output', call_id: 'c9', output: 'done' }] });
    expect(chatRequest(r, history).messages).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: 'c9', type: 'function', function: { name: 'f', arguments: '{}' } }] },
      { role: 'tool', tool_call_id: 'c9', content: 'done' },
    ]);
    expect(toChatMessages([])).toEqual([]);
  });

  it('translates function tools, tool_choice and text.format (json_schema, json_object)', () => {
    const parameters = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const schema = { type: 'object', properties: { a: { type: 'number' } } };
    const chat = chatRequest(
      read({
        model: 'm',
        input: 'hi',
        tools: [{ type: 'function', name: 'get_weather', description: 'Weather', parameters, strict: false }],
        tool_choice: { type: 'function', name: 'get_weather' },
        parallel_tool_calls: false,
        text: { format: { type: 'json_schema', name: 'out', schema, strict: true }, verbosity: 'low' },
      }),
      [],
    );
    expect(chat.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Weather', parameters, strict: false } }]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'get_weather' } });
    expect(chat.parallel_tool_calls).toBe(false);
    expect(chat.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'out', schema, strict: true } });
    expect(chat.verbosity).toBe('low');
    expect(chatRequest(read({ model: 'm', input: 'hi', text: { format: { type: 'json_object' } }, tool_choice: 'required' }), [])).toMatchObject({
      response_format: { type: 'json_object' },
      tool_choice: 'required',
    });
    expect(chatRequest(read({ model: 'm', input: 'hi', text: { format: { type: 'text' } } }), []).response_format).toBeUndefined();
  });

  it('refuses what it cannot serve, naming the field', () => {
    expect(refusal({ input: 'hi' }).param).toBe('model');
    expect(refusal({ model: 'm' }).param).toBe('input');
    expect(refusal('text').param).toBeNull();
    expect(refusal({ model: 'm', input: 'hi', tools: [{ type: 'web_search' }] }).param).toBe('tools[0].type');
    expect(refusal({ model: 'm', input: [{ type: 'computer_call_output' }] }).param).toBe('input[0].type');
    expect(refusal({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1' }] }] }).param).toBe('input[0].content[0].image_url');
    expect(refusal({ model: 'm', input: [{ role: 'system', content: [{ type: 'input_image', image_url: 'x' }] }] }).param).toBe('input[0].content[0].type');
    expect(refusal({ model: 'm', input: [{ type: 'function_call', name: 'f', arguments: '{}' }] }).param).toBe('input[0].call_id');
    expect(refusal({ model: 'm', input: 'hi', background: true }).param).toBe('background');
    expect(refusal({ model: 'm', input: 'hi', conversation: 'conv_1' }).param).toBe('conversation');
    expect(refusal({ model: 'm', input: 'hi', max_output_tokens: 1.5 }).param).toBe('max_output_tokens');
    expect(refusal({ model: 'm', input: 'hi', text: { format: { type: 'json_schema', schema: {} } } }).param).toBe('text.format.name');
    expect(refusal({ model: 'm', input: 'hi', tool_choice: { type: 'web_search' } }).param).toBe('tool_choice');
    expect(refusal({ model: '', input: 'hi' }).message).toBe('Invalid request: model: is required: a string of 1 to 256 characters');
  });
});

describe('chat completion -> Response', () => {
  const chat = (message: object, finish = 'stop', usage: object | undefined = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 }) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream-model',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
    usage,
  });

  it('gives a completed response with a message item and usage in the Responses shape', () => {
    const r = read({ model: 'asked-model', input: 'hi', instructions: 'Be brief.' });
    const out = responseFromChat(chat({ content: 'Hello' }), responseSkeleton(r.model, r.echo, 'resp_1', 1000), counterIds(), 1001)!;
    expect(out).toMatchObject({
      id: 'resp_1',
      object: 'response',
      created_at: 1000,
      completed_at: 1001,
      status: 'completed',
      model: 'asked-model',
      instructions: 'Be brief.',
      incomplete_details: null,
      error: null,
      output: [{ id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] }],
      usage: { input_tokens: 12, output_tokens: 5, total_tokens: 17, input_tokens_details: { cached_tokens: 0 }, output_tokens_details: { reasoning_tokens: 0 } },
    });
  });

  it('turns tool calls into function_call items, and finish_reason length into incomplete', () => {
    const calls = { content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] };
    const out = responseFromChat(chat(calls, 'tool_calls'), base(), counterIds(), 1)!;
    expect(out.output).toEqual([{ id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}', status: 'completed' }]);
    const cut = responseFromChat(chat({ content: 'Hel' }, 'length'), base(), counterIds(), 1)!;
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(responseFromChat({ not: 'a chat completion' }, base(), counterIds(), 1)).toBeUndefined();
  });

  it('maps cached and reasoning token details', () => {
    expect(responsesUsage({ prompt_tokens: 10, completion_tokens: 7, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 3 } })).toEqual({
      input_tokens: 10,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 7,
      output_tokens_details: { reasoning_tokens: 3 },
      total_tokens: 17,
    });
    expect(responsesUsage(undefined)).toBeNull();
  });
});

const frame = (delta: object, finish: string | null = null, extra: object = {}) =>
  `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
const usageFrame = `data: ${JSON.stringify({ id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } })}\n\n`;

/** The events of a Responses SSE text, checked for framing. */
function events(text: string): ResponseStreamEvent[] {
  return text
    .split('\n\n')
    .filter((b) => b !== '')
    .map((block) => {
      const [event, data] = block.split('\n');
      const parsed = JSON.parse(data!.slice('data: '.length)) as ResponseStreamEvent;
      expect(event).toBe(`event: ${parsed.type}`);
      return parsed;
    });
}

/** Folds events the way the SDK's stream helper does; returns the snapshot before the terminal event. */
function accumulate(evs: ResponseStreamEvent[]): SdkResponse {
  let snapshot: SdkResponse | undefined;
  for (const e of evs.slice(0, -1)) snapshot = accumulateResponse(e, snapshot);
  return snapshot!;
}

function run(chunks: string[], finish: { kind: 'complete' } | { kind: 'failed'; message: string } = { kind: 'complete' }) {
  const t = new ResponsesStream(base(), counterIds(), () => 2000);
  const text = t.start() + chunks.map((c) => t.push(Buffer.from(c))).join('') + t.end(finish);
  return { evs: events(text), response: t.response as ResponseObject };
}

describe('chat stream -> Responses events', () => {
  it('streams text: created, in_progress, item and part added, deltas, done events, completed with usage', () => {
    const { evs, response } = run([frame({ role: 'assistant', content: '' }), frame({ content: 'Hel' }) + frame({ content: 'lo' }), frame({}, 'stop'), usageFrame, 'data: [DONE]\n\n']);
    expect(evs.map((e) => e.type)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(evs.map((e) => e.sequence_number)).toEqual(evs.map((_, i) => i));
    expect(evs[6]).toMatchObject({ text: 'Hello', item_id: 'msg_1', output_index: 0, content_index: 0 });
    expect(response).toMatchObject({ status: 'completed', completed_at: 2000, usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 } });
    expect(evs.at(-1)).toMatchObject({ type: 'response.completed', response: { output: [{ type: 'message', content: [{ text: 'Hello' }] }] } });
    // The SDK's own accumulator agrees with the final response.
    expect(accumulate(evs).output).toEqual(response.output);
    expect(accumulate(evs).output_text).toBe('Hello');
  });

  it('streams tool calls as function_call items with argument deltas, after the text before them', () => {
    const { evs, response } = run([
      frame({ role: 'assistant', content: 'Checking.' }),
      frame({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      frame({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      frame({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      frame({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } }] }),
      frame({}, 'tool_calls'),
    ]);
    const types = evs.map((e) => e.type);
    expect(types.indexOf('response.output_item.done')).toBeLessThan(types.indexOf('response.function_call_arguments.delta'));
    expect(types.filter((t) => t === 'response.function_call_arguments.done')).toHaveLength(2);
    expect(evs.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({ name: 'get_weather', arguments: '{"city":"Paris"}', output_index: 1 });
    expect(response.output).toEqual([
      { id: 'msg_1', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Checking.', annotations: [] }] },
      { id: 'fc_2', type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}', status: 'completed' },
      { id: 'fc_3', type: 'function_call', call_id: 'call_2', name: 'get_time', arguments: '{}', status: 'completed' },
    ]);
    expect(accumulate(evs).output).toEqual(response.output);
  });

  it('ends a cut stream with response.failed, the text so far kept and marked incomplete', () => {
    const { evs, response } = run([frame({ content: 'Hel' })], { kind: 'failed', message: 'The upstream connection failed mid-stream.' });
    expect(evs.at(-1)).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'server_error', message: 'The upstream connection failed mid-stream.' } } });
    expect(response.output[0]).toMatchObject({ status: 'incomplete' });
    expect(evs.filter((e) => e.type === 'response.failed')).toHaveLength(1);
  });

  it('ends with response.failed carrying the message of an upstream error event', () => {
    const { evs } = run([frame({ content: 'Hi' }), `data: ${JSON.stringify({ error: { message: 'Overloaded', type: 'server_error' } })}\n\n`], { kind: 'failed', message: 'ignored' });
    expect(evs.at(-1)).toMatchObject({ type: 'response.failed', response: { error: { message: 'Overloaded' } } });
  });

  it('ends with response.incomplete when the answer hit max_output_tokens; refusals get refusal events', () => {
    const { evs } = run([frame({ content: 'Hel' }), frame({}, 'length')]);
    expect(evs.at(-1)).toMatchObject({ type: 'response.incomplete', response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } });
    const refused = run([frame({ refusal: 'No.' }), frame({}, 'stop')]);
    expect(refused.evs.map((e) => e.type)).toContain('response.refusal.done');
    expect(refused.response.output[0]).toMatchObject({ content: [{ type: 'refusal', refusal: 'No.' }] });
  });

  it('takes events however they are grouped into writes, CRLF included', () => {
    const all = frame({ content: 'a' }) + frame({ content: 'b' }).replaceAll('\n', '\r\n') + frame({}, 'stop');
    expect(run([all]).response.output).toEqual(run([frame({ content: 'a' }), frame({ content: 'b' }), frame({}, 'stop')]).response.output);
  });
});

describe('the response store and input item pages', () => {
  const item = (id: string): Item => ({ id, type: 'message', role: 'user', content: [{ type: 'input_text', text: id }], status: 'completed' });
  const stored = (id: string) => ({ response: { ...base(), id }, input: [item(`msg_${id}`)] });

  it('keeps responses for their TTL, bounded by count and size, oldest out first', () => {
    let now = 0;
    const store = new ResponseStore({ ttlMs: 1000, maxEntries: 2, maxBytes: 100, clock: () => now });
    store.put(stored('a'), 10);
    store.put(stored('b'), 10);
    store.put(stored('c'), 10);
    expect(store.get('a')).toBeUndefined();
    expect(store.get('b')?.response.id).toBe('b');
    store.put(stored('d'), 95);
    expect([store.get('b'), store.get('c')]).toEqual([undefined, undefined]);
    now = 1000;
    expect(store.get('d')).toBeUndefined();
    expect(store.size).toBe(0);
    store.put(stored('e'), 1);
    expect(store.delete('e')).toBe(true);
    expect(store.delete('e')).toBe(false);
  });

  it('pages input items newest first by default, with after, limit and order', () => {
    const items = ['1', '2', '3'].map(item);
    expect(inputItemsPage(items, {})).toMatchObject({ object: 'list', first_id: '3', last_id: '1', has_more: false });
    const page = inputItemsPage(items, { limit: '2', order: 'asc' });
    expect(page).toMatchObject({ data: [{ id: '1' }, { id: '2' }], has_more: true });
    expect(inputItemsPage(items, { order: 'asc', after: '2' })).toMatchObject({ data: [{ id: '3' }], has_more: false });
    expect(inputItemsPage(items, { limit: '0' })).toMatchObject({ error: { status: 400, param: 'limit' } });
    expect(inputItemsPage([], {})).toMatchObject({ data: [], first_id: null, last_id: null });
  });
});

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayEventMap, type GatewayEventName, Switchyard, SwitchyardError } from '../../src/index.js';
import { FakeUpstream } from '../support/fake-upstream.js';

const messages = [{ role: 'user', content: 'hi' }];

describe('Switchyard as a library', () => {
  let alpha: FakeUpstream;
  let beta: FakeUpstream;
  let switchyard: Switchyard;

  const provider = (name: string, url: string) => ({
    name,
    type: 'openai_compatible',
    base_url: url,
    api_key: `sk-${name}-secret-0123456789`,
    timeout_ms: 1000,
    pricing: { 'gpt-4o-mini': { input: 1, output: 2 } },
  });

  beforeAll(async () => {
    alpha = await FakeUpstream.start('alpha');
    beta = await FakeUpstream.start('beta');
  });
  afterAll(async () => {
    await alpha.close();
    await beta.close();
  });
  afterEach(async () => {
    await switchyard?.close();
    alpha.reset();
    beta.reset();
  });

  const create = async (circuit = { failure_threshold: 1000 }) => {
    switchyard = await Switchyard.create({ config: { providers: [provider('alpha', alpha.url), provider('beta', beta.url)], circuit_breaker: circuit } });
    return switchyard;
  };

  it('answers a chat with where and how it was served', async () => {
    // README: Use it as a library
    const switchyard = await create();
    const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    console.log(answer.choices[0]?.message.content, answer.routing.provider, answer.routing.costUsd);
    // README end
    expect(answer.object).toBe('chat.completion');
    expect(answer.choices[0]?.message.content).toBe('Hello from alpha');
    expect(answer.routing).toMatchObject({ provider: 'alpha', model: 'gpt-4o-mini', attempts: 1, fallback: false, tried: [{ provider: 'alpha', result: 'success' }] });
    // 12 prompt tokens at $1/M and 5 completion tokens at $2/M.
    expect(answer.routing.costUsd).toBeCloseTo((12 * 1 + 5 * 2) / 1e6, 12);
    expect(answer.routing.latencyMs).toBeGreaterThan(0);
  });

  it('streams chunks, calls onChunk per chunk and settles the routing at the end', async () => {
    await create();
    const seen: string[] = [];
    const stream = switchyard.stream({ model: 'gpt-4o-mini', messages, stream_options: { include_usage: true } }, { onChunk: (c) => seen.push(c.choices[0]?.delta.content ?? '') });
    let text = '';
    for await (const chunk of stream) {
      expect(chunk.object).toBe('chat.completion.chunk');
      text += chunk.choices[0]?.delta.content ?? '';
    }
    expect(text).toBe('Hello from alpha');
    expect(seen.join('')).toBe('Hello from alpha');
    const routing = await stream.routing;
    expect(routing).toMatchObject({ provider: 'alpha', attempts: 1, fallback: false });
    expect(routing.costUsd).toBeCloseTo(22 / 1e6, 12);
  });

  it('fails over, with route, failure, failover and success events in order', async () => {
    await create();
    const events: Array<[GatewayEventName, unknown]> = [];
    const names = ['route', 'failure', 'failover', 'success'] as const;
    for (const name of names) switchyard.on(name, (e: GatewayEventMap[typeof name]) => events.push([name, e]));
    alpha.enqueue({ kind: 'status', status: 500 });
    const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.routing).toMatchObject({ provider: 'beta', attempts: 2, fallback: true });
    expect(answer.routing.tried.map((t) => `${t.provider}:${t.result}`)).toEqual(['alpha:failure', 'beta:success']);
    expect(events.map(([n]) => n)).toEqual(['route', 'failure', 'failover', 'success']);
    const [route, failure, failover, success] = events.map(([, e]) => e);
    expect(route).toMatchObject({ provider: 'alpha', model: 'gpt-4o-mini', strategy: 'priority' });
    expect(failure).toMatchObject({ provider: 'alpha', reason: expect.stringMatching(/^HTTP 500/) });
    expect(failover).toMatchObject({ from: 'alpha', to: 'beta', reason: expect.stringMatching(/^HTTP 500/) });
    expect(success).toMatchObject({ provider: 'beta', usage: { promptTokens: 12, completionTokens: 5 } });
    const ids = new Set(events.map(([, e]) => (e as { requestId: string }).requestId));
    expect(ids.size).toBe(1);
  });

  it('says when a breaker opens', async () => {
    await create({ failure_threshold: 1 });
    const breakers: Array<GatewayEventMap['breaker']> = [];
    switchyard.on('breaker', (e) => breakers.push(e));
    alpha.enqueue({ kind: 'status', status: 500 });
    await switchyard.chat({ model: 'gpt-4o-mini', messages });
    expect(breakers).toContainEqual({ provider: 'alpha', from: 'closed', to: 'open' });
    const status = await switchyard.status();
    expect(status.alpha?.breaker).toBe('open');
  });

  it('throws a SwitchyardError with what was tried when nothing can serve', async () => {
    await create();
    alpha.enqueue({ kind: 'status', status: 500 });
    const err = await switchyard.chat({ model: 'gpt-4o-mini', messages }, { provider: 'alpha', fallback: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err).toMatchObject({ status: 502, code: 'all_providers_failed', type: 'server_error', tried: [{ provider: 'alpha', result: 'failure' }] });
  });

  it('stops a call when its AbortSignal fires', async () => {
    await create();
    alpha.enqueue({ kind: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await switchyard.chat({ model: 'gpt-4o-mini', messages }, { signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'SwitchyardError', code: 'request_aborted' });
    expect(beta.requests).toHaveLength(0);
  });

  it('stops a stream when its AbortSignal fires mid-way', async () => {
    await create();
    alpha.enqueue({ kind: 'ok', chunkDelayMs: 100 });
    const controller = new AbortController();
    const stream = switchyard.stream({ model: 'gpt-4o-mini', messages }, { signal: controller.signal, onChunk: () => controller.abort() });
    const got: unknown[] = [];
    const err = await (async () => {
      for await (const chunk of stream) got.push(chunk);
    })().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'request_aborted' });
    await expect(stream.routing).rejects.toBeInstanceOf(SwitchyardError);
    expect(got.length).toBeGreaterThanOrEqual(1);
  });

  it('gives up after timeoutMs', async () => {
    await create();
    alpha.enqueue({ kind: 'hang' });
    const err = await switchyard.chat({ model: 'gpt-4o-mini', messages }, { timeoutMs: 50, fallback: false }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'request_timeout', status: 408 });
  });

  it('reports each provider in status()', async () => {
    await create();
    await switchyard.chat({ model: 'gpt-4o-mini', messages });
    await switchyard.chat({ model: 'gpt-4o-mini', messages }, { provider: 'beta' });
    const status = await switchyard.status();
    expect(status.alpha).toMatchObject({ breaker: 'closed', requests: 1, failures: 0 });
    expect(status.beta).toMatchObject({ breaker: 'closed', requests: 1, failures: 0 });
    expect(status.alpha?.latencyMs.p50).toBeGreaterThan(0);
  });

  it('loads a config file, and closes', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'switchyard-')), 'config.yaml');
    writeFileSync(file, `providers:\n  - name: alpha\n    type: openai_compatible\n    base_url: ${alpha.url}\n    api_key: sk-alpha-secret-0123456789\n`);
    switchyard = await Switchyard.create({ config: file });
    const answer = await switchyard.chat({ model: 'gpt-4o-mini', messages });
    expect(answer.routing.provider).toBe('alpha');
    await switchyard.close();
  });

  describe('conversation', () => {
    const sent = (u: FakeUpstream, i: number) => (u.requests[i]?.body as { messages: unknown[]; temperature?: number }) ?? { messages: [] };

    it('keeps the whole history, sends it every turn, and clears back to the system message', async () => {
      await create();
      const chat = switchyard.conversation({ model: 'gpt-4o-mini', system: 'Be terse.', temperature: 0 });
      const first = await chat.send('hi');
      expect(first).toMatchObject({ content: 'Hello from alpha', message: { role: 'assistant', content: 'Hello from alpha' }, routing: { provider: 'alpha' } });
      await chat.send({ role: 'user', content: 'again' });
      expect(sent(alpha, 1)).toMatchObject({ temperature: 0 });
      expect(sent(alpha, 1).messages).toEqual([
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: 'Hello from alpha', refusal: null },
        { role: 'user', content: 'again' },
      ]);
      expect(chat.history.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
      chat.clear();
      expect(chat.history).toEqual([{ role: 'system', content: 'Be terse.' }]);
    });

    it('sends tool messages added with add() or history', async () => {
      await create();
      const call = { id: 'call_1', type: 'function', function: { name: 'now', arguments: '{}' } };
      const chat = switchyard.conversation({
        model: 'gpt-4o-mini',
        history: [
          { role: 'user', content: 'time?' },
          { role: 'assistant', content: null, tool_calls: [call] },
        ],
      });
      chat.add({ role: 'tool', tool_call_id: 'call_1', content: '12:00' });
      const reply = await chat.send('so?');
      expect(reply.content).toBe('Hello from alpha');
      expect(sent(alpha, 0).messages).toEqual([
        { role: 'user', content: 'time?' },
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: 'call_1', content: '12:00' },
        { role: 'user', content: 'so?' },
      ]);
      expect(chat.history).toHaveLength(5);
    });

    it('survives a failover mid-conversation: the next turn goes to the provider that serves, with the whole history', async () => {
      await create();
      const chat = switchyard.conversation({ model: 'gpt-4o-mini', system: 'Be terse.' });
      expect((await chat.send('one')).routing.provider).toBe('alpha');
      alpha.enqueue({ kind: 'status', status: 500 });
      const second = await chat.send('two');
      expect(second.routing).toMatchObject({ provider: 'beta', fallback: true });
      expect(sent(beta, 0).messages).toEqual([
        { role: 'system', content: 'Be terse.' },
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'Hello from alpha', refusal: null },
        { role: 'user', content: 'two' },
      ]);
      expect(chat.history.at(-1)).toMatchObject({ role: 'assistant', content: 'Hello from beta' });
    });

    it('leaves the history as it was when a turn fails', async () => {
      await create();
      const chat = switchyard.conversation({ model: 'gpt-4o-mini', callOptions: { provider: 'alpha', fallback: false } });
      alpha.enqueue({ kind: 'status', status: 500 });
      await expect(chat.send('hi')).rejects.toBeInstanceOf(SwitchyardError);
      expect(chat.history).toEqual([]);
      expect((await chat.send('hi')).routing.provider).toBe('alpha');
      expect(chat.history).toHaveLength(2);
    });
  });
});

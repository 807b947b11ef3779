/**
 * Stream resume end to end: a client that loses its connection mid-stream repeats the request with
 * the same Idempotency-Key and a Last-Event-ID, and gets the rest of the same answer from the gateway's
 * buffer, with no new upstream call; or the whole answer through the openai SDK.
 */
import { describe, expect, it } from 'vitest';
import { providersYaml } from '../support/harness.js';
import { useGateway } from '../support/scenario.js';

const FULL = 'One two three four five six seven eight nine ten.';
const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to ten in words.' }], stream: true });

/** The text of the chat chunks in an SSE body, and the ids of its events. */
function read(sse: string): { text: string; ids: string[] } {
  let text = '';
  const ids: string[] = [];
  for (const event of sse.split('\n\n')) {
    const id = /^id: (.+)$/m.exec(event)?.[1];
    if (id !== undefined) ids.push(id);
    const data = /^data: (.+)$/m.exec(event)?.[1];
    if (data === undefined || data === '[DONE]') continue;
    const parsed = JSON.parse(data) as { choices?: Array<{ delta?: { content?: string } }> };
    text += parsed.choices?.[0]?.delta?.content ?? '';
  }
  return { text, ids };
}

describe('stream resume', () => {
  const ctx = useGateway(['alpha'], ({ alpha }) => providersYaml([{ name: 'alpha', url: alpha.url }]));

  it('replays the rest of the answer after Last-Event-ID, without a new upstream call', async () => {
    ctx.alpha.enqueue({ kind: 'ok', text: FULL, chunkDelayMs: 15 });
    const url = `${ctx.gw.url}/v1/chat/completions`;
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'resume-1' };
    const ac = new AbortController();
    const res = await fetch(url, { method: 'POST', headers, body, signal: ac.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let received = '';
    // Read until 5 whole events came (the role chunk and 4 words), then drop the connection.
    while ((received.match(/\n\n/g) ?? []).length < 5) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before the client dropped it');
      received += decoder.decode(value, { stream: true });
    }
    ac.abort();
    const kept = received.slice(0, received.lastIndexOf('\n\n') + 2);
    const first = read(kept);
    expect(first.ids).toEqual(['1', '2', '3', '4', '5']);

    const again = await fetch(url, { method: 'POST', headers: { ...headers, 'last-event-id': first.ids.at(-1)! }, body });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const rest = await again.text();
    expect(read(rest).ids[0]).toBe('6');
    expect(rest.endsWith('data: [DONE]\n\n')).toBe(true);
    expect(first.text + read(rest).text).toBe(FULL);
    expect(ctx.alpha.requests).toHaveLength(1);
    // The gateway read the upstream to its end although the client had gone.
    expect(ctx.alpha.abandoned).toEqual([]);
  });

  it('replays the whole answer to a client that repeats the request from the start, through the SDK', async () => {
    ctx.alpha.enqueue({ kind: 'ok', text: FULL });
    const ask = () =>
      ctx.client().chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Count to ten in words.' }], stream: true }, { headers: { 'idempotency-key': 'resume-2' } });
    const texts: string[] = [];
    for (let i = 0; i < 2; i++) {
      let text = '';
      for await (const c of await ask()) text += c.choices[0]?.delta.content ?? '';
      texts.push(text);
    }
    expect(texts).toEqual([FULL, FULL]);
    expect(ctx.alpha.requests).toHaveLength(1);
  });
});

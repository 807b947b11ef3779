import { describe, expect, it } from 'vitest';
import { openAIRules } from '../../src/routing/upstream-attempt.js';

const chunk = (index: number, finish: string | null) => `data: {"choices":[{"index":${index},"delta":{"content":"x"},"finish_reason":${finish === null ? 'null' : `"${finish}"`}}]}\n\n`;
const plain = (t: string) => t;

describe('openAIRules', () => {
  it('judges chat answers by their choices and embeddings by their data, whatever n says', () => {
    const chat = openAIRules({ endpoint: 'chat/completions', body: { model: 'm', messages: [] } });
    expect(chat.answer({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3 } })).toEqual({ ok: true, usage: { promptTokens: 2, completionTokens: 3 } });
    expect(chat.answer({ data: [] })).toEqual({ ok: false, detail: 'response has no "choices"' });
    const embed = openAIRules({ endpoint: 'embeddings', body: { model: 'e', input: 'x', n: 3 } });
    expect(embed.answer({ data: [] })).toEqual({ ok: true });
    expect(embed.answer({ choices: [] })).toEqual({ ok: false, detail: 'response has no "data"' });
  });

  it('holds a stream of n choices whole only once every choice finished', () => {
    const rules = openAIRules({ endpoint: 'chat/completions', body: { model: 'm', messages: [], n: 2 } });
    const partial = rules.relay(plain);
    partial.push(Buffer.from(chunk(0, null) + chunk(0, 'stop')));
    expect(partial.end().complete).toBe(false);
    const whole = rules.relay(plain);
    whole.push(Buffer.from(chunk(0, 'stop') + chunk(1, 'stop')));
    expect(whole.end().complete).toBe(true);
    const one = openAIRules({ endpoint: 'chat/completions', body: { model: 'm', messages: [] } }).relay(plain);
    one.push(Buffer.from(chunk(0, 'stop')));
    expect(one.end().complete).toBe(true);
  });
});

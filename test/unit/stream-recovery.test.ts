import { describe, expect, it } from 'vitest';
import { CONTINUE_INSTRUCTION, combinedUsage, continuationBody, DeliveryTracker } from '../../src/core/stream-recovery.js';

const text = (content: string) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const tool = (index: number, args: string) => ({ choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: args } }] }, finish_reason: null }] });
const finish = { choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] };
const b = (s: string) => Buffer.from(s);
const strings = (bufs: Buffer[]) => bufs.map((x) => x.toString());

describe('continuationBody', () => {
  it('adds the delivered text as the assistant’s partial answer and the instruction to continue', () => {
    const body = { model: 'm', stream: true, messages: [{ role: 'user', content: 'Count' }] };
    expect(continuationBody(body, 'one, two')).toEqual({
      model: 'm',
      stream: true,
      messages: [
        { role: 'user', content: 'Count' },
        { role: 'assistant', content: 'one, two' },
        { role: 'user', content: CONTINUE_INSTRUCTION },
      ],
    });
    expect(body.messages).toHaveLength(1);
  });

  it('leaves the request as it was when nothing was delivered', () => {
    const body = { model: 'm', messages: [] };
    expect(continuationBody(body, '')).toBe(body);
  });
});

describe('combinedUsage', () => {
  it('adds the cut call’s prompt and delivered text (4 characters a token) to the continuation’s usage', () => {
    expect(combinedUsage({ promptTokens: 40, completionTokens: 10 }, 30, 'a'.repeat(81))).toEqual({ promptTokens: 70, completionTokens: 31 });
    expect(combinedUsage(undefined, 30, 'abc')).toBeUndefined();
  });
});

describe('DeliveryTracker', () => {
  it('sends text at once and remembers it', () => {
    const t = new DeliveryTracker();
    expect(strings(t.take(b('e1'), text('Hel')))).toEqual(['e1']);
    expect(strings(t.take(b('e2'), text('lo')))).toEqual(['e2']);
    expect(strings(t.take(b('other'), undefined))).toEqual(['other']);
    expect(t.text).toBe('Hello');
    expect(t.cut()).toBe('continue');
  });

  it('holds tool-call deltas (and what follows) until the arguments are whole JSON', () => {
    const t = new DeliveryTracker();
    expect(t.take(b('t1'), tool(0, '{"city": '))).toEqual([]);
    expect(t.take(b('t2'), tool(0, '"Pa'))).toEqual([]);
    expect(strings(t.take(b('t3'), tool(0, 'ris"}')))).toEqual(['t1', 't2', 't3']);
    expect(t.toolBytesSent).toBe(true);
    expect(t.cut()).toBe('fail');
  });

  it('drops held deltas at a cut and lets the stream continue when no tool-call byte went out', () => {
    const t = new DeliveryTracker();
    t.take(b('x'), text('Let me look. '));
    expect(t.take(b('t1'), tool(0, '{"ci'))).toEqual([]);
    expect(t.cut()).toBe('continue');
    expect(t.text).toBe('Let me look. ');
    expect(t.flush()).toEqual([]);
  });

  it('holds a second call while the first is whole, and releases all at the finish', () => {
    const t = new DeliveryTracker();
    expect(strings(t.take(b('a'), tool(0, '{}')))).toEqual(['a']);
    expect(t.take(b('b'), tool(1, '{"q": 1'))).toEqual([]);
    expect(strings(t.take(b('f'), finish))).toEqual(['b', 'f']);
  });
});

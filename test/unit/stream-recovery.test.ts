import { describe, expect, it } from 'vitest';
import { CONTINUE_INSTRUCTION, combinedUsage, continuationBody, DeliveryTracker } from '../../src/core/stream-recovery.js';

const ev = (chunk: object) => Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
const text = (content: string) => ev({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const tool = (index: number, args: string) => ev({ choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: args } }] }, finish_reason: null }] });
const finish = ev({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
/** What was sent, as the text of the events (by which of `named` they are). */
const names = (sent: Buffer[], named: Record<string, Buffer>) => sent.map((x) => Object.entries(named).find(([, v]) => v.equals(x))?.[0] ?? '?');

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
  it('sends text at once and reads the delivered text back from what it sent', () => {
    const t = new DeliveryTracker();
    const [e1, e2, other] = [text('Hel'), text('lo'), Buffer.from(': comment\n\n')];
    expect(names(t.take(e1), { e1 })).toEqual(['e1']);
    expect(names(t.take(e2), { e2 })).toEqual(['e2']);
    expect(names(t.take(other), { other })).toEqual(['other']);
    expect(t.text).toBe('Hello');
    expect(t.cut()).toBe('continue');
  });

  it('holds tool-call deltas (and what follows) until the arguments are whole JSON', () => {
    const t = new DeliveryTracker();
    const [t1, t2, t3] = [tool(0, '{"city": '), tool(0, '"Pa'), tool(0, 'ris"}')];
    expect(t.take(t1)).toEqual([]);
    expect(t.take(t2)).toEqual([]);
    expect(names(t.take(t3), { t1, t2, t3 })).toEqual(['t1', 't2', 't3']);
    expect(t.toolBytesSent).toBe(true);
    expect(t.cut()).toBe('fail');
  });

  it('drops held deltas at a cut and lets the stream continue when no tool-call byte went out', () => {
    const t = new DeliveryTracker();
    t.take(text('Let me look. '));
    expect(t.take(tool(0, '{"ci'))).toEqual([]);
    expect(t.take(text('held too'))).toEqual([]);
    expect(t.cut()).toBe('continue');
    expect(t.text).toBe('Let me look. ');
    expect(t.flush()).toEqual([]);
  });

  it('holds a second call while the first is whole, and releases all at the finish', () => {
    const t = new DeliveryTracker();
    const [a, b, f] = [tool(0, '{}'), tool(1, '{"q": 1'), finish];
    expect(names(t.take(a), { a })).toEqual(['a']);
    expect(t.take(b)).toEqual([]);
    expect(names(t.take(f), { b, f })).toEqual(['b', 'f']);
  });
});

import { describe, expect, it } from 'vitest';
import { type Sent, startAttempt } from '../../src/routing/attempt-loop-send.js';
import { Cancel } from '../../src/routing/cancel.js';
import { fullCollection as gc } from '../support/gc.js';
import { A, fixture, hangs } from '../support/loop-fixture.js';

describe('startAttempt', () => {
  it('lets go of its callback once the attempt has come back, while the client-abort hook a served stream keeps stays on', async () => {
    const f = fixture();
    f.on('a', { kind: 'success', value: 'answer' });
    let captured: object | undefined = { big: new Array(10_000).fill(1) };
    const ref = new WeakRef(captured);
    let sent: Sent<string> | undefined;
    await new Promise<void>((resolve) => {
      const held = captured;
      startAttempt(f.options, A, 10_000, new Cancel(), (s) => {
        sent = held ? s : undefined;
        resolve();
      });
    });
    captured = undefined;
    expect(sent?.result).toEqual({ kind: 'success', value: 'answer' });
    expect(f.signal.listening).toBe(1); // the hook: a client leaving mid-stream still cancels it
    await new Promise((r) => setImmediate(r)); // a WeakRef's target outlives the job that made it
    gc();
    expect(ref.deref()).toBeUndefined();
    sent!.unhookClientAbort();
    expect(f.signal.listening).toBe(0);
  });

  it('aborts the attempt when its budget runs out, and reports a timeout', async () => {
    const f = fixture();
    f.on('a', hangs);
    const cancel = new Cancel();
    const sent = await new Promise<Sent<string>>((resolve) => startAttempt(f.options, A, 20, cancel, resolve));
    expect(cancel.aborted).toBe(true);
    expect(sent.result).toEqual({ kind: 'failure', failure: { kind: 'timeout', detail: 'no answer within 20 ms' } });
  });

  it('aborts the attempt with the client’s reason when the client goes away', async () => {
    const f = fixture();
    f.on('a', hangs);
    const cancel = new Cancel();
    const done = new Promise<Sent<string>>((resolve) => startAttempt(f.options, A, 10_000, cancel, resolve));
    f.signal.abort('client gone');
    const sent = await done;
    expect(cancel.reason).toBe('client gone');
    expect(sent.result.kind).toBe('failure');
  });
});

import { describe, expect, it } from 'vitest';
import { randomHex } from '../../src/providers/random-hex.js';
import { Cancel } from '../../src/routing/cancel.js';

describe('Cancel', () => {
  it('calls each listener once, in order, with the reason, and only the first abort counts', () => {
    const c = new Cancel();
    const seen: string[] = [];
    c.onAbort((r) => seen.push(`a:${String(r)}`));
    c.onAbort((r) => seen.push(`b:${String(r)}`));
    expect(c.listening).toBe(2);
    c.abort('gone');
    c.abort('again');
    expect(seen).toEqual(['a:gone', 'b:gone']);
    expect(c.aborted).toBe(true);
    expect(c.reason).toBe('gone');
    expect(c.listening).toBe(0);
  });

  it('never calls a listener removed before the abort, nor one added after it', () => {
    const c = new Cancel();
    const seen: string[] = [];
    const gone = () => seen.push('removed');
    c.onAbort(gone);
    c.onAbort(() => seen.push('kept'));
    c.offAbort(gone);
    c.offAbort(() => seen.push('never added')); // nothing to remove: no effect
    expect(c.listening).toBe(1);
    c.abort();
    c.onAbort(() => seen.push('late'));
    expect(seen).toEqual(['kept']);
    expect(c.listening).toBe(0);
  });

  it('removes one registration of a listener added twice', () => {
    const c = new Cancel();
    let calls = 0;
    const fn = () => {
      calls += 1;
    };
    c.onAbort(fn);
    c.onAbort(fn);
    c.offAbort(fn);
    c.abort();
    expect(calls).toBe(1);
  });
});

describe('randomHex', () => {
  it('gives hex of twice the bytes asked, all different across several refills of its pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5_000; i++) {
      const id = randomHex(24); // 170 draws per 4 KiB pool: about 30 refills
      expect(id).toMatch(/^[0-9a-f]{48}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5_000);
    expect(randomHex(1)).toMatch(/^[0-9a-f]{2}$/);
  });

  it('refuses a draw larger than its pool', () => {
    expect(randomHex(4096)).toHaveLength(8192);
    expect(() => randomHex(4097)).toThrow(RangeError);
  });
});

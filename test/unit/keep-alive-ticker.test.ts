import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeepAliveTicker, type Ticking } from '../../src/respond/keep-alive.js';

function member(onTick: () => void = () => {}): Ticking & { ticks: number } {
  const m = {
    ticks: 0,
    tick() {
      m.ticks += 1;
      onTick();
    },
  };
  return m;
}

describe('KeepAliveTicker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks every member of an interval from one timer, and stops the timer when the last leaves', () => {
    const ticker = new KeepAliveTicker();
    const a = member();
    const b = member();
    ticker.add(100, a);
    ticker.add(100, b);
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(100);
    expect([a.ticks, b.ticks]).toEqual([1, 1]);
    ticker.delete(100, a);
    vi.advanceTimersByTime(200);
    expect([a.ticks, b.ticks]).toEqual([1, 3]);
    ticker.delete(100, b);
    expect(ticker.size(100)).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
    ticker.delete(100, b); // a second delete is harmless
    expect(vi.getTimerCount()).toBe(0);
  });

  it('keeps one timer per interval length', () => {
    const ticker = new KeepAliveTicker();
    const fast = member();
    const slow = member();
    ticker.add(50, fast);
    ticker.add(200, slow);
    expect(vi.getTimerCount()).toBe(2);
    vi.advanceTimersByTime(200);
    expect([fast.ticks, slow.ticks]).toEqual([4, 1]);
  });

  it('goes on ticking the others when a member throws or leaves during its tick', () => {
    const ticker = new KeepAliveTicker();
    const thrower = member(() => {
      throw new Error('socket gone');
    });
    const leaver: Ticking & { ticks: number } = member(() => ticker.delete(100, leaver));
    const steady = member();
    ticker.add(100, thrower);
    ticker.add(100, leaver);
    ticker.add(100, steady);
    vi.advanceTimersByTime(100);
    expect([thrower.ticks, leaver.ticks, steady.ticks]).toEqual([1, 1, 1]);
    vi.advanceTimersByTime(100);
    expect([thrower.ticks, leaver.ticks, steady.ticks]).toEqual([2, 1, 2]);
    expect(ticker.size(100)).toBe(2);
  });

  it('starts a new timer for an interval whose members had all left', () => {
    const ticker = new KeepAliveTicker();
    const a = member();
    ticker.add(100, a);
    ticker.delete(100, a);
    const b = member();
    ticker.add(100, b);
    vi.advanceTimersByTime(100);
    expect([a.ticks, b.ticks]).toEqual([0, 1]);
    expect(vi.getTimerCount()).toBe(1);
  });
});

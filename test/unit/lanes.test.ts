import { describe, expect, it } from 'vitest';
import { applyLane, type LaneRules, lowFloor, NO_LANE_RULES, parseLane } from '../../src/routing/lanes.js';
import { applyPreferences } from '../../src/routing/preferences.js';
import { cand, providersOf, snapshotOf } from '../support/snapshot.js';

const ordered = [cand('a', 0), cand('b', 1), cand('c', 2), cand('d', 3)];
const rules: LaneRules = { reserve: 0.2, lowMaxUse: 0.5, avoid: ['premium'] };
const tiers: Record<string, string> = { d: 'premium' };
const tierOf = (p: string) => tiers[p];

describe('parseLane', () => {
  it('reads the three lanes in any case and refuses anything else', () => {
    expect(parseLane(' High ')).toBe('high');
    expect(parseLane('normal')).toBe('normal');
    expect(parseLane('LOW')).toBe('low');
    expect(parseLane('urgent')).toBeUndefined();
    expect(parseLane('')).toBeUndefined();
  });
});

describe('applyLane', () => {
  // a: full (unknown); b: 0.6 left; c: 0.15 left (inside the high reserve); d: premium, full.
  const snapshot = snapshotOf({ a: {}, b: { requestHeadroom: 0.6, tokenHeadroom: 0.9 }, c: { requestHeadroom: 0.15 }, d: {} });

  it('high keeps the strategy order, reserve included', () => {
    expect(providersOf(applyLane(ordered, 'high', rules, snapshot, tierOf).candidates)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('normal moves providers inside the reserve after the others, keeping each group in order', () => {
    const reordered = [cand('c', 2), cand('a', 0), cand('d', 3), cand('b', 1)];
    const out = applyLane(reordered, 'normal', rules, snapshot, tierOf);
    expect(providersOf(out.candidates)).toEqual(['a', 'd', 'b', 'c']);
    expect(out.dropped).toEqual([]);
  });

  it('normal changes nothing without a reserve', () => {
    expect(providersOf(applyLane(ordered, 'normal', { ...rules, reserve: 0 }, snapshot, tierOf).candidates)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('low drops avoided tiers and providers at or below max(reserve, 1 - max_headroom_use)', () => {
    expect(lowFloor(rules)).toBe(0.5);
    const out = applyLane(ordered, 'low', rules, snapshot, tierOf);
    expect(providersOf(out.candidates)).toEqual(['a', 'b']);
    expect(out.dropped.map((d) => [d.candidate.provider, d.reason])).toEqual([
      ['c', "capacity 0.15 is not above the low lane's floor 0.5"],
      ['d', 'avoided by the low lane (routing.lanes.low.avoid)'],
    ]);
  });

  it('low avoids by provider name too, and the floor is the reserve when max_headroom_use allows more', () => {
    const out = applyLane(ordered, 'low', { reserve: 0.2, lowMaxUse: 0.9, avoid: ['a'] }, snapshot, tierOf);
    expect(lowFloor({ reserve: 0.2, lowMaxUse: 0.9, avoid: [] })).toBe(0.2);
    expect(providersOf(out.candidates)).toEqual(['b', 'd']);
  });

  it('low drops a provider predicted to run out of its minute budget, whatever its headroom', () => {
    const s = snapshotOf({ a: { requestHeadroom: 0.9, exhaustsInS: 12.4 }, b: {} });
    const out = applyLane([cand('a', 0), cand('b', 1)], 'low', NO_LANE_RULES, s, tierOf);
    expect(providersOf(out.candidates)).toEqual(['b']);
    expect(out.dropped[0]?.reason).toBe('predicted to run out of its minute budget in 12s');
  });

  it('without rules, low still never takes a provider with nothing left', () => {
    const s = snapshotOf({ a: { tokenHeadroom: 0 }, b: { requestHeadroom: 0.01 } });
    expect(providersOf(applyLane([cand('a', 0), cand('b', 1)], 'low', NO_LANE_RULES, s, tierOf).candidates)).toEqual(['b']);
  });
});

describe('applyPreferences: prefer', () => {
  const snapshot = snapshotOf({});
  const twoModels = [cand('a', 0, 'm1'), cand('b', 1), cand('c', 2), cand('a', 0, 'm2'), cand('d', 3)];

  it('moves the preferred providers to the front in the listed order, the rest as the strategy ordered them', () => {
    expect(providersOf(applyPreferences(ordered, { fallback: true, prefer: ['c', 'b'] }, snapshot))).toEqual(['c', 'b', 'a', 'd']);
  });

  it("keeps a preferred provider's candidates in the strategy's order", () => {
    const out = applyPreferences(twoModels, { fallback: true, prefer: ['a'] }, snapshot);
    expect(out.map((c) => `${c.provider}/${c.model}`)).toEqual(['a/m1', 'a/m2', 'b/m', 'c/m', 'd/m']);
  });

  it('a pin still goes first, and alone without fallback', () => {
    expect(providersOf(applyPreferences(ordered, { fallback: true, prefer: ['c'], pin: 'd' }, snapshot))).toEqual(['d', 'c', 'a', 'b']);
    expect(providersOf(applyPreferences(ordered, { fallback: false, prefer: ['c'], pin: 'd' }, snapshot))).toEqual(['d']);
  });

  it('a name that is not a candidate changes nothing', () => {
    expect(providersOf(applyPreferences(ordered, { fallback: true, prefer: ['zz'] }, snapshot))).toEqual(['a', 'b', 'c', 'd']);
  });
});

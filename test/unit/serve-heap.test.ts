import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { heapFlagFor, SERVE_HEAP_GROWING_PERCENT } from '../../src/cli/heap.js';

describe('serve heap settings', () => {
  it('sets the old generation growth when the operator chose none', () => {
    expect(heapFlagFor([])).toBe(`--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`);
    expect(heapFlagFor(['--max-semi-space-size=8', '--enable-source-maps'])).toBe('--heap-growing-percent=30');
  });

  it("leaves the operator's own choice on node's command line, in either spelling", () => {
    expect(heapFlagFor(['--heap-growing-percent=50'])).toBeUndefined();
    expect(heapFlagFor(['--enable-source-maps', '--heap_growing_percent=10'])).toBeUndefined();
    expect(heapFlagFor(['--heap-growing-percent-typo=1'])).toBe('--heap-growing-percent=30');
  });

  it('runs `npm start` with the node flags of the bin, so both serve with the same young generation cap', () => {
    const shebang = readFileSync(new URL('../../src/cli.ts', import.meta.url), 'utf8').split('\n', 1)[0];
    expect(shebang).toBe('#!/usr/bin/env -S node --max-semi-space-size=8');
    const start = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toMatch(/^node --max-semi-space-size=8 dist\/src\/cli\.js serve\b/);
  });
});

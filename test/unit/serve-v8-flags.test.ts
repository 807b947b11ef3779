import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SERVE_HEAP_GROWING_PERCENT, SERVE_PRETENURING_FLAG, v8FlagsFor } from '../../src/cli/v8-flags.js';

const NO_PRETENURING = '--no-allocation-site-pretenuring';

describe('serve V8 settings', () => {
  it('sets the old generation growth, baseline-only WebAssembly and no pretenuring when the operator chose none', () => {
    expect(SERVE_PRETENURING_FLAG).toBe(NO_PRETENURING);
    expect(v8FlagsFor([])).toEqual([`--heap-growing-percent=${SERVE_HEAP_GROWING_PERCENT}`, '--liftoff-only', NO_PRETENURING]);
    expect(v8FlagsFor(['--max-semi-space-size=8', '--enable-source-maps'])).toEqual(['--heap-growing-percent=30', '--liftoff-only', NO_PRETENURING]);
  });

  it("leaves each of the operator's own choices on node's command line, in either spelling", () => {
    expect(v8FlagsFor(['--heap-growing-percent=50'])).toEqual(['--liftoff-only', NO_PRETENURING]);
    expect(v8FlagsFor(['--enable-source-maps', '--heap_growing_percent=10'])).toEqual(['--liftoff-only', NO_PRETENURING]);
    expect(v8FlagsFor(['--heap-growing-percent-typo=1'])).toEqual(['--heap-growing-percent=30', '--liftoff-only', NO_PRETENURING]);
    expect(v8FlagsFor(['--no-liftoff'])).toEqual(['--heap-growing-percent=30', NO_PRETENURING]);
    expect(v8FlagsFor(['--allocation-site-pretenuring'])).toEqual(['--heap-growing-percent=30', '--liftoff-only']);
    expect(v8FlagsFor(['--no-allocation_site_pretenuring', '--liftoff-only'])).toEqual(['--heap-growing-percent=30']);
    expect(v8FlagsFor(['--wasm-tier-up', '--heap-growing-percent=40', '--allocation-site-pretenuring'])).toEqual([]);
  });

  it('runs `npm start` with the node flags of the bin, so both serve with the same young generation cap', () => {
    const shebang = readFileSync(new URL('../../src/cli.ts', import.meta.url), 'utf8').split('\n', 1)[0];
    expect(shebang).toBe('#!/usr/bin/env -S node --max-semi-space-size=8');
    const start = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> }).scripts.start;
    expect(start).toMatch(/^node --max-semi-space-size=8 dist\/src\/cli\.js serve\b/);
  });
});

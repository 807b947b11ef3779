import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';

const provider = (extra = '') => `providers:\n  - { name: a, type: openai_compatible, base_url: http://127.0.0.1:1/v1, api_key: k${extra} }\n`;

const problemsOf = (yaml: string): string[] => {
  try {
    parseConfig(yaml, '(inline)', { env: {} });
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
};

describe('routing.lanes and providers[].client_keys / tier in config', () => {
  it('defaults to rules that change nothing', () => {
    const { config } = parseConfig(provider(), '(inline)', { env: {} });
    expect(config.routing.lanes).toEqual({ high: { reserve: 0 }, low: { max_headroom_use: 1, avoid: [] } });
    expect(config.providers[0]?.client_keys).toBeUndefined();
  });

  it('reads shares (also from ${VAR}), tiers and client_keys', () => {
    const yaml = `${provider(', tier: premium, client_keys: fallback')}routing:\n  lanes:\n    high: { reserve: \${R} }\n    low: { max_headroom_use: 0.5, avoid: [premium] }\n`;
    const loaded = parseConfig(yaml, '(inline)', { env: { R: '0.2' } });
    expect(loaded.config.routing.lanes).toEqual({ high: { reserve: 0.2 }, low: { max_headroom_use: 0.5, avoid: ['premium'] } });
    expect(loaded.config.providers[0]).toMatchObject({ tier: 'premium', client_keys: 'fallback' });
    expect(loaded.warnings.join('\n')).not.toContain('avoid');
  });

  it('refuses shares outside [0, 1], unknown lane keys and unknown client_keys modes, by key path', () => {
    const problems = problemsOf(`${provider(', client_keys: always')}routing:\n  lanes:\n    high: { reserve: 1.5 }\n    medium: {}\n`);
    expect(problems.some((p) => p.startsWith('routing.lanes.high.reserve:'))).toBe(true);
    expect(problems).toContain('routing.lanes: unknown key "medium"');
    expect(problems.some((p) => p.startsWith('providers[0].client_keys:'))).toBe(true);
  });

  it('warns about an avoid entry that names no provider and no tier', () => {
    const loaded = parseConfig(`${provider()}routing:\n  lanes:\n    low: { avoid: [a, premum] }\n`, '(inline)', { env: {} });
    expect(loaded.warnings).toContain('routing.lanes.low.avoid[1]: "premum" names no provider and no tier');
    expect(loaded.warnings.join('\n')).not.toContain('avoid[0]');
  });
});

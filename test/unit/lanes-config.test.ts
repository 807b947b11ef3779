import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { loadConfiguredStrategies } from '../../src/config/validate-runtime.js';
import { cand, providersOf, snapshotOf } from '../support/snapshot.js';

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
    expect(config.routing.lanes).toEqual({ high: { reserve: 0 }, normal: {}, low: { max_headroom_use: 1, avoid: [] } });
    expect(config.providers[0]?.client_keys).toBeUndefined();
  });

  it('reads shares (also from ${VAR}), tiers and client_keys', () => {
    const yaml = `${provider(', tier: premium, client_keys: fallback')}routing:\n  lanes:\n    high: { reserve: \${R} }\n    low: { max_headroom_use: 0.5, avoid: [premium] }\n`;
    const loaded = parseConfig(yaml, '(inline)', { env: { R: '0.2' } });
    expect(loaded.config.routing.lanes).toEqual({ high: { reserve: 0.2 }, normal: {}, low: { max_headroom_use: 0.5, avoid: ['premium'] } });
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

  it("routing.lanes.<lane>.score sets the score strategy's weights for that lane; the others keep the defaults", async () => {
    const yaml = `${provider()}routing:\n  lanes:\n    normal: { score: { capacity: 0, latency: 0, weight: 1 } }\n`;
    const strategies = await loadConfiguredStrategies(parseConfig(yaml, '(inline)', { env: {} }));
    const score = strategies.get('score')!;
    const snapshot = snapshotOf({ a: { weight: 1, requestHeadroom: 1 }, b: { weight: 3, requestHeadroom: 0.1 } });
    const candidates = [cand('a', 0), cand('b', 1)];
    const order = (lane: 'normal' | 'low') => providersOf(score({ candidates, request: { model: 'm', stream: false, estimatedPromptTokens: 1, lane }, snapshot }));
    expect(order('normal')).toEqual(['b', 'a']);
    // low keeps its default (capacity 0.6, weight 0.4): a = 0.6 + 0.4/3, b = 0.06 + 0.4.
    expect(order('low')).toEqual(['a', 'b']);
    expect(problemsOf(`${provider()}routing:\n  lanes:\n    low: { score: { capacity: 2, latency: 0, weight: 0 } }\n`).some((p) => p.startsWith('routing.lanes.low.score.capacity:'))).toBe(true);
  });

  it("the README's examples of lanes, score weights and client_keys load as written", () => {
    const readme = readFileSync('README.md', 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((b) => /lanes:|client_keys:/.test(b));
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    const env = { OPENAI_API_KEY: 'sk-o', ANTHROPIC_API_KEY: 'sk-a', DEEPSEEK_API_KEY: 'sk-d' };
    for (const b of blocks) {
      const loaded = parseConfig(b, '(readme)', { env });
      expect(loaded.warnings.filter((w) => w.includes('avoid'))).toEqual([]);
    }
  });
});

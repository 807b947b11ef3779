import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/config/schema.js';
import { isLoopback } from '../../src/http/auth.js';
import { resolveCandidates } from '../../src/routing/candidates.js';
import { loadStrategy } from '../../src/routing/strategy-loader.js';
import priority from '../../strategies/priority.js';

const p = (name: string, extra: Partial<ProviderConfig> = {}): [string, ProviderConfig] => [name, { name, type: 'openai', base_url: 'http://x/v1', timeout_ms: 1000, weight: 1, ...extra }];

describe('planning candidates', () => {
  const providers = new Map([
    p('lists', { models: ['gpt-4o', 'gpt-4o-mini'], default_model: 'gpt-4o-mini' }),
    p('strict', { models: ['claude'] }),
    p('open'),
    p('fallback', { default_model: 'llama3' }),
  ]);

  it('maps the requested model per provider: listed, default_model, pass-through, or not at all', () => {
    expect(resolveCandidates('gpt-4o', providers, ['lists', 'strict', 'open', 'fallback'])).toEqual([
      { provider: 'lists', model: 'gpt-4o', chainIndex: 0 },
      { provider: 'open', model: 'gpt-4o', chainIndex: 2 },
      { provider: 'fallback', model: 'llama3', chainIndex: 3 },
    ]);
    expect(resolveCandidates('other', providers, ['lists']).map((c) => c.model)).toEqual(['gpt-4o-mini']);
  });
});

describe('strategies', () => {
  it('priority orders by chain position whatever the input order', () => {
    const candidates = [
      { provider: 'c', model: 'm', chainIndex: 2 },
      { provider: 'a', model: 'm', chainIndex: 0 },
      { provider: 'b', model: 'm', chainIndex: 1 },
    ];
    const out = priority({ candidates, request: { model: 'm', stream: false, estimatedPromptTokens: 1 }, snapshot: { now: 0, providers: new Map(), price: () => undefined, random: () => 0.5 } });
    expect(out.map((c) => c.provider)).toEqual(['a', 'b', 'c']);
    expect(candidates[0]!.provider).toBe('c'); // input untouched
  });

  it('loads built-ins by name and custom files by path', async () => {
    expect(typeof (await loadStrategy('priority', '/'))).toBe('function');
    const dir = mkdtempSync(join(tmpdir(), 'strategy-'));
    writeFileSync(join(dir, 'reverse.mjs'), 'export default ({ candidates }) => [...candidates].reverse();\n');
    writeFileSync(join(dir, 'named.mjs'), 'export function order({ candidates }) { return candidates; }\n');
    writeFileSync(join(dir, 'wrong.mjs'), 'export const nothing = 1;\n');
    const reverse = await loadStrategy('./reverse.mjs', dir);
    expect(
      reverse({
        candidates: [
          { provider: 'a', model: 'm', chainIndex: 0 },
          { provider: 'b', model: 'm', chainIndex: 1 },
        ],
        request: { model: 'm', stream: false, estimatedPromptTokens: 1 },
        snapshot: { now: 0, providers: new Map(), price: () => undefined, random: () => 0.5 },
      })[0]!.provider,
    ).toBe('b');
    expect(typeof (await loadStrategy(join(dir, 'named.mjs'), '/'))).toBe('function');
    await expect(loadStrategy('./wrong.mjs', dir)).rejects.toThrow(/must export a function/);
    await expect(loadStrategy('./absent.mjs', dir)).rejects.toThrow(/not found/);
    await expect(loadStrategy('clairvoyant', dir)).rejects.toThrow(/unknown strategy "clairvoyant"/);
  });
});

describe('admin loopback check', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['10.0.0.1', false],
    ['::ffff:192.168.1.2', false],
    ['2001:db8::1', false],
    [undefined, false],
  ])('%s is loopback: %s', (addr, expected) => {
    expect(isLoopback(addr)).toBe(expected);
  });
});

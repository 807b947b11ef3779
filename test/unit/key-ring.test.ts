import { describe, expect, it } from 'vitest';
import type { ProviderConfig } from '../../src/config/schema.js';
import { KeyRing } from '../../src/providers/key-ring.js';
import { modelMatcher } from '../../src/providers/presets.js';
import { indicatorOf } from '../../src/providers/status-pages.js';
import { filterByCapabilities, needsOf } from '../../src/routing/capabilities.js';
import { classifyFailure, isContextOverflow } from '../../src/routing/classify.js';

describe('key ring', () => {
  it('rotates round-robin', () => {
    const r = new KeyRing(['k1', 'k2', 'k3']);
    expect([r.pick(0), r.pick(0), r.pick(0), r.pick(0)]).toEqual(['k1', 'k2', 'k3', 'k1']);
  });

  it('rests a refused key and uses the others until the rest ends', () => {
    const r = new KeyRing(['k1', 'k2']);
    r.report('k1', 401, 0);
    expect([r.pick(1), r.pick(2), r.pick(3)]).toEqual(['k2', 'k2', 'k2']);
    expect(r.available(3)).toBe(1);
    expect(r.pick(KeyRing.REFUSED_REST_MS + 1)).toBe('k1');
  });

  it('rests a key after repeated 429s, honouring a longer Retry-After', () => {
    const r = new KeyRing(['k1', 'k2']);
    r.report('k1', 429, 0);
    expect(r.available(0)).toBe(2);
    r.report('k1', 429, 0, 90_000);
    expect(r.available(60_000)).toBe(1);
    expect(r.available(90_001)).toBe(2);
  });

  it('forgets 429 strikes after a success', () => {
    const r = new KeyRing(['k1']);
    r.report('k1', 429, 0);
    r.report('k1', 200, 0);
    r.report('k1', 429, 0);
    expect(r.available(0)).toBe(1);
  });

  it('still answers when every key rests: the one back soonest', () => {
    const r = new KeyRing(['k1', 'k2']);
    r.report('k1', 403, 0);
    r.report('k2', 403, 10);
    expect(r.pick(20)).toBe('k1');
  });

  it('redacts every key', () => {
    expect(new KeyRing(['sk-a', 'sk-b']).redact('bad sk-a and sk-b')).toBe('bad [redacted] and [redacted]');
    expect(new KeyRing([]).pick(0)).toBeUndefined();
  });
});

describe('model globs', () => {
  it('matches names and * patterns, nothing else', () => {
    const m = modelMatcher(['gpt-4o', 'claude-*', '*/*']);
    expect(['gpt-4o', 'claude-opus-4', 'meta/llama'].every(m)).toBe(true);
    expect(['gpt-4o-mini', 'xclaude-1', 'claude.'].some(m)).toBe(false);
  });
});

describe('status page indicator', () => {
  it('reads Statuspage JSON and calls anything else unknown', () => {
    expect(indicatorOf({ status: { indicator: 'major' } })).toBe('major');
    expect(indicatorOf({ status: { indicator: 'weird' } })).toBe('unknown');
    expect(indicatorOf(null)).toBe('unknown');
  });
});

describe('context-length errors', () => {
  it('are failed over without counting against the breaker', () => {
    const f = { kind: 'status' as const, status: 400, code: 'context_length_exceeded' };
    expect(isContextOverflow(f)).toBe(true);
    expect(classifyFailure(f)).toEqual({ failover: true, breaker: 'neutral' });
    expect(isContextOverflow({ kind: 'status', status: 400, message: 'prompt is too long: 210000 tokens > 200000 maximum' })).toBe(true);
    expect(isContextOverflow({ kind: 'status', status: 400, message: 'temperature must be at most 2' })).toBe(false);
    expect(isContextOverflow({ kind: 'status', status: 500, code: 'context_length_exceeded' })).toBe(false);
  });
});

describe('capabilities', () => {
  const p = (name: string, extra: Partial<ProviderConfig>): [string, ProviderConfig] => [name, { name, type: 'openai', base_url: 'http://x/v1', timeout_ms: 1, weight: 1, ...extra }];
  const providers = new Map([p('blind', { capabilities: { vision: false } }), p('small', { capabilities: { context_window: 100 } }), p('any', {})]);
  const cands = ['blind', 'small', 'any'].map((provider, chainIndex) => ({ provider, model: 'm', chainIndex }));

  it('reads what a request needs', () => {
    expect(needsOf({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'x' } }] }], tools: [{}], response_format: { type: 'json_schema' } }, 10, 20)).toEqual({
      vision: true,
      tools: true,
      json_mode: true,
      tokens: 30,
    });
    expect(needsOf({ messages: [{ role: 'user', content: 'x' }] }, 5, undefined)).toEqual({ vision: false, tools: false, json_mode: false, tokens: 5 });
  });

  it('keeps undeclared capabilities, drops declared gaps and says which', () => {
    const r = filterByCapabilities(cands, providers, { vision: true, tools: false, json_mode: false, tokens: 500 });
    expect(r.kept.map((c) => c.provider)).toEqual(['any']);
    expect(r.missing.sort()).toEqual(['a context window over 100 tokens', 'image input']);
  });
});

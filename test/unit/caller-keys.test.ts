import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CallerKeys } from '../../src/providers/caller-keys.js';
import { KeyRing } from '../../src/providers/key-ring.js';
import { RequestKeys } from '../../src/providers/request-keys.js';

describe('CallerKeys.fromHeaders', () => {
  it('without gateway client keys, Authorization (or x-api-key) is the vendor key', () => {
    expect(CallerKeys.fromHeaders({ authorization: 'Bearer sk-1' }, false)?.for('openai')).toBe('sk-1');
    expect(CallerKeys.fromHeaders({ 'x-api-key': 'sk-ant-2' }, false)?.for('anthropic')).toBe('sk-ant-2');
    expect(CallerKeys.fromHeaders({ authorization: 'Basic abc' }, false)).toBeUndefined();
  });

  it('with gateway client keys, Authorization is never a vendor key; the provider-key headers are', () => {
    expect(CallerKeys.fromHeaders({ authorization: 'Bearer gw-key' }, true)).toBeUndefined();
    const keys = CallerKeys.fromHeaders({ authorization: 'Bearer gw-key', 'x-switchyard-provider-key': 'sk-any', 'x-switchyard-provider-key-gemini': 'g-1' }, true);
    expect(keys?.for('openai')).toBe('sk-any');
    expect(keys?.for('gemini')).toBe('g-1');
  });

  it('matches a per-provider header to a provider name in any case', () => {
    expect(CallerKeys.fromHeaders({ 'x-switchyard-provider-key-openai-eu': 'sk-eu' }, true)?.for('OpenAI-EU')).toBe('sk-eu');
    expect(new CallerKeys(undefined, new Map([['OpenAI-EU', 'sk-eu']])).for('openai-eu')).toBe('sk-eu');
    expect(CallerKeys.fromHeaders({ 'x-switchyard-provider-key-openai-eu': 'sk-eu' }, true)?.for('openai-us')).toBeUndefined();
  });

  it('the explicit header wins over Authorization, and empty values count as none', () => {
    expect(CallerKeys.fromHeaders({ authorization: 'Bearer sk-auth', 'x-switchyard-provider-key': 'sk-explicit' }, false)?.for('x')).toBe('sk-explicit');
    expect(CallerKeys.fromHeaders({ 'x-switchyard-provider-key': ' ', authorization: 'Bearer ' }, false)).toBeUndefined();
  });

  it('never shows its keys in JSON or inspection, and redacts them from text', () => {
    const keys = new CallerKeys('sk-secret-0123456789', new Map([['b', 'sk-other-0123456789']]));
    expect(JSON.stringify({ keys })).toBe('{"keys":"[redacted]"}');
    expect(inspect({ keys })).not.toContain('sk-secret');
    expect(keys.redact('echo sk-secret-0123456789 and sk-other-0123456789')).toBe('echo [redacted] and [redacted]');
    expect(new CallerKeys(undefined).redact('nothing sk-secret')).toBe('nothing sk-secret');
  });
});

describe('RequestKeys', () => {
  const now = 1_000;

  it('without client_keys, never sends the caller key', () => {
    const k = new RequestKeys(new KeyRing(['ring-1']), undefined, 'caller');
    expect(k.pick(now)).toBe('ring-1');
    expect(k.usable).toBe(true);
    expect(k.retryWithAnother('ring-1', 1, now)).toBe(false);
  });

  it('passthrough: the caller key only, and unusable without one', () => {
    const k = new RequestKeys(new KeyRing(['ring-1']), 'passthrough', 'caller');
    expect(k.pick(now)).toBe('caller');
    expect(k.isCallerKey('caller')).toBe(true);
    expect(k.retryWithAnother('caller', 1, now)).toBe(false);
    expect(new RequestKeys(new KeyRing([]), 'passthrough', undefined).usable).toBe(false);
  });

  it('fallback: ring keys first, then the caller key once, after the ring has nothing else', () => {
    const ring = new KeyRing(['ring-1', 'ring-2']);
    const k = new RequestKeys(ring, 'fallback', 'caller');
    const first = k.pick(now);
    expect(first).toBe('ring-1');
    expect(k.retryWithAnother(first, 1, now)).toBe(true);
    const second = k.pick(now);
    expect(second).toBe('ring-2');
    expect(k.retryWithAnother(second, 2, now)).toBe(true);
    expect(k.pick(now)).toBe('caller');
    expect(k.retryWithAnother('caller', 3, now)).toBe(false);
  });

  it('fallback: the caller key at once when the ring is empty or every key rests; its answers never rest a ring key', () => {
    expect(new RequestKeys(new KeyRing([]), 'fallback', 'caller').pick(now)).toBe('caller');
    const ring = new KeyRing(['ring-1']);
    ring.report('ring-1', 401, now);
    const k = new RequestKeys(ring, 'fallback', 'caller');
    expect(k.pick(now)).toBe('caller');
    k.report('caller', 401, now);
    expect(ring.available(now)).toBe(0);
    expect(new RequestKeys(new KeyRing(['ring-1']), 'fallback', undefined).pick(now)).toBe('ring-1');
  });
});

import { describe, expect, it } from 'vitest';
import { headerValue } from '../../src/core/header-value.js';
import { KeyRing } from '../../src/providers/key-ring.js';

const KEY = 'sk-live/SECRET_42';
const ring = new KeyRing([KEY, 'other-key-0000']);

describe('key redaction in every encoding', () => {
  const forms: Array<[string, string]> = [
    ['as is', KEY],
    ['with an escaped slash', 'sk-live\\/SECRET_42'],
    ['with \\u escapes, lower-case hex', '\\u0073k-live\\u002fSECRET_42'],
    ['with \\u escapes, upper-case hex', '\\u0073k\\u002Dlive\\u002FSECRET\\u005F42'],
    ['every character escaped', [...KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')],
    ['percent-encoded', 'sk-live%2FSECRET_42'],
    ['in base64', Buffer.from(KEY).toString('base64')],
    ['in base64url', Buffer.from(KEY).toString('base64url')],
  ];
  it.each(forms)('redacts the key %s', (_label, form) => {
    const out = ring.redact(`{"error":{"message":"bad key: ${form} (twice: ${form})"}}`);
    expect(out).not.toContain('SECRET');
    expect(out.match(/\[redacted\]/g)).toHaveLength(2);
  });

  it('leaves text without a key alone, and redacts every key of the ring', () => {
    expect(ring.redact('nothing here')).toBe('nothing here');
    expect(ring.redact('other-key-0000 and sk-live/SECRET_42')).toBe('[redacted] and [redacted]');
  });
});

describe('headerValue', () => {
  it('keeps visible ASCII and encodes the rest, bounded', () => {
    expect(headerValue('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(headerValue('模型')).toBe('%E6%A8%A1%E5%9E%8B');
    expect(headerValue('a\r\nb\u0000')).toBe('a%0D%0Ab%00');
    expect(headerValue('x\ud800')).toBe('x%EF%BF%BD');
    expect(headerValue('m'.repeat(20_000))).toHaveLength(256);
    expect(headerValue('模'.repeat(200)).length).toBeLessThanOrEqual(256);
  });
});

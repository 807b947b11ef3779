import { REDACTED, secretPattern } from '../secret-pattern.js';

/**
 * Removes a secret from text.
 *
 * @example
 * const redact: Redact = new KeyRedaction().of(call.apiKey);
 */
export type Redact = (text: string) => string;

const keepAsIs: Redact = (text) => text;

/** Patterns kept per adapter; more distinct keys than this (a ring is a handful) start the cache over. */
const MAX_PATTERNS = 64;

/**
 * Removes a call's key from provider text copied into an answer (error messages, in-band stream
 * errors), in every form `secretPattern` knows: as is, JSON-escaped, percent-encoded, base64. The core
 * redacts too; this is defence in depth, with one rule for every provider. Model output is not touched:
 * it is the answer, and a key that is a plain word (Ollama's conventional `ollama`) would mangle it.
 * The pattern is built once per key, not per call.
 *
 * @example
 * const redaction = new KeyRedaction();
 * redaction.of('sk-live/SECRET')('bad key sk-live\\/SECRET'); // 'bad key [redacted]'
 * redaction.of(undefined)('anything');                       // 'anything'
 */
export class KeyRedaction {
  private readonly patterns = new Map<string, RegExp | undefined>();

  /** The redaction for one call's key (no key: text is kept as it is). */
  of(key: string | undefined): Redact {
    if (!key) return keepAsIs;
    const pattern = this.patternFor(key);
    return pattern ? (text) => text.replace(pattern, REDACTED) : keepAsIs;
  }

  private patternFor(key: string): RegExp | undefined {
    if (this.patterns.has(key)) return this.patterns.get(key);
    if (this.patterns.size >= MAX_PATTERNS) this.patterns.clear();
    const pattern = secretPattern([key]);
    this.patterns.set(key, pattern);
    return pattern;
  }
}

/**
 * One regular expression that finds any of a set of secrets in text, in every form an upstream may echo
 * it: as is, JSON-escaped character by character (`\u0073k-...`, `sk-live\/x`, any mix, either case of
 * hex), percent-encoded (`sk%2Dlive`), and base64 / base64url of the whole secret. Matching is done on
 * the text as it will be written, so redaction works on raw bodies, JSON bodies and SSE events alike,
 * without parsing them.
 *
 * @example
 * const re = secretPattern(['sk-live/SECRET']);
 * 'echo sk-live\\/SECRET'.replace(re, '[redacted]'); // 'echo [redacted]'
 */
export function secretPattern(secrets: readonly string[]): RegExp | undefined {
  const alternatives = secrets.filter((s) => s.length > 0).flatMap(formsOf);
  if (alternatives.length === 0) return undefined;
  // Longest first, so that a secret that contains another is removed whole.
  alternatives.sort((a, b) => b.length - a.length);
  return new RegExp(alternatives.join('|'), 'g');
}

/** The replacement for a secret found in text. */
export const REDACTED = '[redacted]';

function formsOf(secret: string): string[] {
  const chars = [...secret].map(charForms).join('');
  const forms = [chars];
  const bytes = Buffer.from(secret, 'utf8');
  // Whole base64 groups only: the last partial group depends on what follows the secret.
  const whole = bytes.subarray(0, bytes.length - (bytes.length % 3));
  if (whole.length >= 6) {
    forms.push(escapeRegExp(whole.toString('base64')));
    const url = whole.toString('base64url');
    if (url !== whole.toString('base64')) forms.push(escapeRegExp(url));
  }
  return forms;
}

/** Every way one character may appear: itself, a JSON `\uXXXX` escape, a short JSON escape, `%XX`. */
function charForms(ch: string): string {
  const code = ch.codePointAt(0)!;
  const alts = [escapeRegExp(ch)];
  if (code <= 0xffff) alts.push(`\\\\u${hexForm(code, 4)}`);
  else {
    const hi = 0xd800 + ((code - 0x10000) >> 10);
    const lo = 0xdc00 + ((code - 0x10000) & 0x3ff);
    alts.push(`\\\\u${hexForm(hi, 4)}\\\\u${hexForm(lo, 4)}`);
  }
  const short = SHORT_ESCAPES[ch];
  if (short) alts.push(short);
  if (code < 0x80) alts.push(`%${hexForm(code, 2)}`);
  return `(?:${alts.join('|')})`;
}

const SHORT_ESCAPES: Record<string, string> = { '/': '\\\\/', '"': '\\\\"', '\\': '\\\\\\\\' };

/** A hex number of `width` digits, each digit matching either case. */
function hexForm(n: number, width: number): string {
  return [...n.toString(16).padStart(width, '0')].map((d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d)).join('');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

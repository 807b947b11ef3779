/** Longest header value the gateway writes from a name it did not choose itself (a model, say). */
export const MAX_HEADER_VALUE = 256;

/**
 * A value safe to put in an HTTP header, whatever the text: visible ASCII passes as is; anything else
 * (CJK, emoji, NUL, CR/LF, RTL marks, lone surrogates) is percent-encoded as UTF-8, and the result is
 * cut to `max` characters, so writing the header can never throw or overflow a client's parser.
 *
 * @example
 * headerValue('gpt-4o');    // 'gpt-4o'
 * headerValue('模型\r\n');  // '%E6%A8%A1%E5%9E%8B%0D%0A'
 */
export function headerValue(text: string, max = MAX_HEADER_VALUE): string {
  if (text.length <= max && /^[\x20-\x7e]*$/.test(text)) return text;
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    // '%' itself is encoded too, so the value decodes back unambiguously.
    const piece = code >= 0x20 && code <= 0x7e && ch !== '%' ? ch : percentEncode(ch);
    if (out.length + piece.length > max) break;
    out += piece;
  }
  return out;
}

function percentEncode(ch: string): string {
  // A lone surrogate has no UTF-8 form: Buffer writes U+FFFD for it, which is what a reader would see.
  let out = '';
  for (const byte of Buffer.from(ch, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  return out;
}

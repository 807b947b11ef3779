/**
 * The gateway's own estimate of a Messages request's input tokens, for `count_tokens` when no
 * `anthropic` provider can count them: characters / 4, rounded up. Pure: no I/O.
 */

/** Characters per token of the estimate (a common rule of thumb for English text and code). */
export const CHARS_PER_TOKEN = 4;

/**
 * Estimated input tokens of a Messages request: the characters of every string value in `system`,
 * `messages` and `tools` (texts, roles, tool names, descriptions, schemas, tool inputs and results),
 * divided by 4 and rounded up. Base64 image and document data is not text and is not counted.
 *
 * @example
 * estimateInputTokens({ model: 'claude-x', messages: [{ role: 'user', content: 'hello world!' }] }); // 4 ('user' + 'hello world!': 16 chars)
 * estimateInputTokens({ model: 'claude-x', messages: [] }); // 0
 */
export function estimateInputTokens(body: Record<string, unknown>): number {
  const chars = countChars(body.system) + countChars(body.messages) + countChars(body.tools);
  return Math.ceil(chars / CHARS_PER_TOKEN);
}

function countChars(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (Array.isArray(value)) return value.reduce((n: number, v: unknown) => n + countChars(v), 0);
  if (typeof value !== 'object' || value === null) return 0;
  const o = value as Record<string, unknown>;
  if (o.type === 'base64' && typeof o.data === 'string') return 0; // an image or PDF source
  let n = 0;
  for (const v of Object.values(o)) n += countChars(v);
  return n;
}

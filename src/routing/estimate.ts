/**
 * A rough prompt size for routing decisions (cost, token headroom): characters / 4 over the text the
 * request carries. Cheap on purpose; it only has to rank providers, not bill anyone.
 */
export function estimatePromptTokens(body: Record<string, unknown>): number {
  let chars = 0;
  const messages = body.messages;
  if (Array.isArray(messages)) {
    for (const m of messages as Array<{ content?: unknown }>) chars += contentChars(m?.content);
  } else {
    chars += contentChars(body.prompt ?? body.input);
  }
  return Math.ceil(chars / 4);
}

function contentChars(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content as unknown[]) {
    if (typeof part === 'string') n += part.length;
    else if (typeof part === 'number')
      n += 4; // a token (embeddings input as token ids)
    else if (Array.isArray(part)) n += 4 * part.length;
    else if (part && typeof part === 'object' && typeof (part as { text?: unknown }).text === 'string') n += (part as { text: string }).text.length;
  }
  return n;
}

/** The output cap the client set, if any. */
export function requestedMaxTokens(body: Record<string, unknown>): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

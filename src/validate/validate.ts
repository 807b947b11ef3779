import type { z } from 'zod';
import { formatPath } from '../config/interpolate.js';
import type { Endpoint } from '../providers/types.js';
import { plainlyValid } from './plainly-valid.js';
import { chatRequestSchema, completionRequestSchema, embeddingRequestSchema } from './requests.js';

export type Validation = { ok: true; body: Record<string, unknown>; model: string; stream: boolean } | { ok: false; message: string; param: string | null };

/** What a body can be checked as: a routed endpoint, or an embeddings request (not routed yet). */
export type RequestKind = Endpoint | 'embeddings';

const SCHEMAS: Record<RequestKind, z.ZodType> = {
  'chat/completions': chatRequestSchema,
  completions: completionRequestSchema,
  embeddings: embeddingRequestSchema,
};

/** Checks a parsed body; the body itself (not zod's copy) is what travels on, so unknown fields survive. */
export function validateRequest(kind: RequestKind, body: unknown): Validation {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'The request body must be a JSON object.', param: null };
  }
  const b = body as Record<string, unknown>;
  // The schema runs only when the quick check cannot say yes: it has the last word, and words the error.
  const result = plainlyValid(kind, b) ? undefined : SCHEMAS[kind].safeParse(body);
  if (result && !result.success) {
    const issue = result.error.issues[0]!;
    const param = issue.path.length > 0 ? formatPath(issue.path) : null;
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem${result.error.issues.length > 2 ? 's' : ''})` : '';
    return { ok: false, message: `Invalid request: ${param ?? 'body'}: ${issue.message}${more}`, param };
  }
  // Embeddings never stream, whatever a stray `stream` field says.
  return { ok: true, body: b, model: b.model as string, stream: kind !== 'embeddings' && b.stream === true };
}

/** `validateRequest('embeddings', body)`, for callers that only handle embeddings. */
export function validateEmbeddingsRequest(body: unknown): Validation {
  return validateRequest('embeddings', body);
}

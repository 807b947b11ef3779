import type { z } from 'zod';
import { formatPath } from '../config/interpolate.js';
import { chatRequestSchema, completionRequestSchema } from './requests.js';
import type { Endpoint } from '../providers/types.js';

export type Validation =
  | { ok: true; body: Record<string, unknown>; model: string; stream: boolean }
  | { ok: false; message: string; param: string | null };

const SCHEMAS: Record<Endpoint, z.ZodType> = {
  'chat/completions': chatRequestSchema,
  completions: completionRequestSchema,
};

/** Checks a parsed body; the body itself (not zod's copy) is what travels on, so unknown fields survive. */
export function validateRequest(endpoint: Endpoint, body: unknown): Validation {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return { ok: false, message: 'The request body must be a JSON object.', param: null };
  }
  const result = SCHEMAS[endpoint].safeParse(body);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const param = issue.path.length > 0 ? formatPath(issue.path) : null;
    const more = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more problem${result.error.issues.length > 2 ? 's' : ''})` : '';
    return { ok: false, message: `Invalid request: ${param ?? 'body'}: ${issue.message}${more}`, param };
  }
  const b = body as Record<string, unknown>;
  return { ok: true, body: b, model: b.model as string, stream: b.stream === true };
}

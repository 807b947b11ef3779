import { z } from 'zod';

/**
 * What the gateway checks before routing: the fields it relies on, and values every provider would
 * reject. Objects are loose: fields the gateway does not know are forwarded untouched.
 */
const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const contentPart = z.looseObject({ type: z.string().min(1) });
const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']);

const message = z
  .looseObject({
    role,
    content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
    name: z.string().optional(),
    tool_calls: z.array(z.looseObject({ id: z.string(), type: z.string(), function: z.looseObject({ name: z.string(), arguments: z.string() }).optional() })).optional(),
    tool_call_id: z.string().optional(),
  })
  .superRefine((m, ctx) => {
    if (m.role === 'tool' && typeof m.tool_call_id !== 'string') {
      ctx.addIssue({ code: 'custom', path: ['tool_call_id'], message: 'is required for messages with role "tool"' });
    }
    // The spec lets assistant messages go without content (tool calls, an audio id, a refusal) and lets
    // function messages carry null; every other role needs it.
    if ((m.content === undefined || m.content === null) && m.role !== 'assistant' && m.role !== 'function') {
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'is required' });
    }
    if ((m.role === 'system' || m.role === 'developer' || m.role === 'tool') && Array.isArray(m.content)) {
      m.content.forEach((part, i) => {
        if (!textPart.safeParse(part).success) {
          ctx.addIssue({ code: 'custom', path: ['content', i], message: `only text parts are allowed in "${m.role}" messages` });
        }
      });
    }
  });

// Bounds are the spec's (CreateChatCompletionRequest, CreateCompletionRequest, CreateEmbeddingRequest) or
// looser, never stricter: test/unit/validation-spec.test.ts checks that against the spec itself.
// The spec wants 1 to 4 stop sequences; an empty list is forwarded, as servers other than OpenAI take it.
const stop = z.union([z.string(), z.array(z.string()).max(4), z.null()]).optional();
const tokenCount = z.number().int().nullable().optional();
const tokens = z.array(z.number().int());
/** A batch of token arrays: the spec wants each one non-empty (an empty array alone is a list of strings). */
const tokenArrays = z.array(tokens.min(1));
const common = {
  // Model names are short (the longest real ones, fine-tune ids and ARNs, are far below this); one
  // that is not would only come back in a header no client can read. An empty one names nothing to route.
  model: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  user: z.string().optional(),
};
const sampling = {
  ...common,
  stream: z.boolean().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  stop,
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
};

export const chatRequestSchema = z.looseObject({
  ...sampling,
  messages: z.array(message, { error: 'is required and must be an array of messages' }).min(1, 'must contain at least one message'),
  // The chat spec sets no minimum on either cap: a 0 (or less) is the upstream's to judge.
  max_tokens: tokenCount,
  max_completion_tokens: tokenCount,
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
});

export const completionRequestSchema = z.looseObject({
  ...sampling,
  // Required, yet the spec allows null (the model then starts a new document).
  prompt: z.union([z.string(), z.array(z.string()), tokens, tokenArrays, z.null()], {
    error: (issue) => (issue.input === undefined ? 'is required: a string, an array of strings, or token arrays' : 'must be a string, an array of strings, tokens, or non-empty token arrays'),
  }),
  max_tokens: z.number().int().min(0).nullable().optional(),
  best_of: z.number().int().min(0).max(20).nullable().optional(),
  echo: z.boolean().nullable().optional(),
  suffix: z.string().nullable().optional(),
});

const MAX_EMBEDDING_INPUTS = 2048;
const inputs = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(MAX_EMBEDDING_INPUTS);
export const embeddingRequestSchema = z.looseObject({
  ...common,
  input: z.union([z.string(), inputs(z.string()), inputs(z.number().int()), inputs(tokens.min(1))], {
    error: (issue) =>
      issue.input === undefined
        ? 'is required: a string, or an array of strings, tokens or token arrays'
        : `must be a string, or 1 to ${MAX_EMBEDDING_INPUTS} strings, tokens or (non-empty) token arrays`,
  }),
  encoding_format: z.enum(['float', 'base64']).optional(),
  dimensions: z.number().int().min(1).optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;
export type EmbeddingRequest = z.infer<typeof embeddingRequestSchema>;

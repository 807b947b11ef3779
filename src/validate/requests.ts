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
    const hasCalls = (m.tool_calls?.length ?? 0) > 0 || m.function_call !== undefined;
    if ((m.content === undefined || m.content === null) && !(m.role === 'assistant' && hasCalls) && m.role !== 'function') {
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

const stop = z.union([z.string(), z.array(z.string()).max(4), z.null()]).optional();
const common = {
  // Model names are short (the longest real ones, fine-tune ids and ARNs, are far below this); one
  // that is not would only come back in a header no client can read.
  model: z.string({ error: 'is required and must be a string' }).min(1, 'must not be empty').max(256, 'must be at most 256 characters'),
  stream: z.boolean().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().min(0).max(1).nullable().optional(),
  n: z.number().int().min(1).max(128).nullable().optional(),
  max_tokens: z.number().int().min(1).nullable().optional(),
  presence_penalty: z.number().min(-2).max(2).nullable().optional(),
  frequency_penalty: z.number().min(-2).max(2).nullable().optional(),
  stop,
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
  user: z.string().optional(),
};

export const chatRequestSchema = z.looseObject({
  ...common,
  messages: z.array(message, { error: 'is required and must be an array of messages' }).min(1, 'must contain at least one message'),
  max_completion_tokens: z.number().int().min(1).nullable().optional(),
  tools: z.array(z.looseObject({ type: z.string() })).optional(),
});

export const completionRequestSchema = z.looseObject({
  ...common,
  prompt: z.union(
    [z.string(), z.array(z.string()), z.array(z.number().int()), z.array(z.array(z.number().int()))],
    { error: 'is required: a string, an array of strings, or token arrays' },
  ),
  best_of: z.number().int().min(1).max(20).nullable().optional(),
  echo: z.boolean().nullable().optional(),
  suffix: z.string().nullable().optional(),
});

export type ChatRequest = z.infer<typeof chatRequestSchema>;
export type CompletionRequest = z.infer<typeof completionRequestSchema>;

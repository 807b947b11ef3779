import { z } from 'zod';
import { lanesSchema } from './lanes-schema.js';

/** A number, also when it arrived as the text of an interpolated `${VAR}`. */
export const num = () => z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.number());

/** Model aliases: a public name -> ordered targets (provider and upstream model). */
export const aliasesSchema = z.record(z.string(), z.array(z.strictObject({ provider: z.string().min(1), model: z.string().min(1) })).min(1));

/** Hedged requests (README "Hedged requests"): when the next candidate starts too, and the extra traffic allowed. */
export const hedgeSchema = z.strictObject({
  /** `p95`: the provider's measured p95 to first byte (first chunk of streams, whole answer otherwise); or a delay in ms. */
  after: z.union([z.literal('p95'), num().pipe(z.number().int().positive())]).default('p95'),
  /** Hedges at most this share of the route's requests over a sliding minute (fleet-wide with Redis). */
  max_extra_percent: num().pipe(z.number().positive().max(100)).default(10),
});

/** One route (a model or alias the client asks for): its strategy and the features it opts into. */
const routeSchema = z.strictObject({
  strategy: z.string().min(1).optional(),
  /** The latency objective of the `slo` strategy, in ms (p95 to first chunk for streams, whole answer otherwise). */
  slo_ms: num().pipe(z.number().positive()).optional(),
  hedge: hedgeSchema.optional(),
  /** `continue`: a chat stream cut after text was sent is continued by the next candidate (README "Stream recovery"). */
  stream_recovery: z.enum(['off', 'continue']).optional(),
});

/** How requests are routed; a mode (`modes.<name>.routing`) overrides its fields. */
export const routingSchema = z
  .strictObject({
    strategy: z.string().min(1).default('priority'),
    /** Per model (or alias) the client asks for: its own strategy. */
    routes: z.record(z.string(), routeSchema).default({}),
    /** Hedging for every route that sets none; off when unset. */
    hedge: hedgeSchema.optional(),
    stream_recovery: z.enum(['off', 'continue']).default('off'),
    /** How long a session (x-switchyard-session) stays on the provider that served it. */
    session_ttl_seconds: num().pipe(z.number().positive()).default(1800),
    fallback_chain: z.array(z.string().min(1)).optional(),
    /** Overall deadline for one request, across all attempts (until a stream's first chunk). */
    request_timeout_ms: num().pipe(z.number().int().positive()).default(120_000),
    /** Upper bound on upstream attempts per request; default: one per provider plus Retry-After retries. */
    max_attempts: num().pipe(z.number().int().positive()).optional(),
    /** A Retry-After at most this long is waited for and the provider tried once more. */
    max_retry_after_ms: num().pipe(z.number().int().nonnegative()).default(2_000),
    /** Priority lanes (x-switchyard-priority): the high lane's reserve, what the low lane may use. */
    lanes: lanesSchema,
  })
  .prefault({});

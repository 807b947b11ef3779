import { z } from 'zod';
import { PRESETS } from '../providers/presets.js';
import { clientKeysMode } from './lanes-schema.js';
import { aliasesSchema, num, routingSchema } from './routing-schema.js';

export { aliasesSchema, hedgeSchema, routingSchema } from './routing-schema.js';

import { redisUrlProblem } from './redis-url.js';

/** Wire protocols this build can speak; other types are refused at load time, naming these. */
export const SUPPORTED_PROVIDER_TYPES = ['openai', 'openai_compatible', 'anthropic', 'gemini', 'ollama'] as const;

const price = z.strictObject({
  input: num().pipe(z.number().nonnegative()),
  output: num().pipe(z.number().nonnegative()),
});

export const capabilities = z.strictObject({
  vision: z.boolean().optional(),
  tools: z.boolean().optional(),
  json_mode: z.boolean().optional(),
  /** Prompt plus completion tokens the model accepts. */
  context_window: num().pipe(z.number().int().positive()).optional(),
});

const rateLimitsSchema = z.strictObject({
  requests_per_minute: num().pipe(z.number().int().positive()).optional(),
  tokens_per_minute: num().pipe(z.number().int().positive()).optional(),
});

/** One client key with its own policy; `name` is what logs, metrics and /usage show (never the key). */
export const clientKeySchema = z.strictObject({
  key: z.string().min(1),
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name of letters, digits, ".", "_" and "-" (at most 64)'),
  /** Models this key may ask for: names, `*` globs and alias names; unset: every model. */
  models: z.array(z.string().min(1)).min(1).optional(),
  /** This key's own limits, instead of the top-level `rate_limits`. */
  rate_limits: rateLimitsSchema.optional(),
  /** Spend caps in USD (UTC day and calendar month), from the configured prices. */
  budget: z
    .strictObject({
      usd_per_day: num().pipe(z.number().positive()).optional(),
      usd_per_month: num().pipe(z.number().positive()).optional(),
    })
    .optional(),
});

/** TLS towards one provider (a private CA, mutual TLS); files are read at load, relative to the config file. */
export const upstreamTlsSchema = z
  .strictObject({
    /** PEM CA certificate(s) trusted for this provider, instead of the default roots. */
    ca_file: z.string().min(1).optional(),
    /** PEM client certificate and its private key, for servers that require mutual TLS. */
    cert_file: z.string().min(1).optional(),
    key_file: z.string().min(1).optional(),
    reject_unauthorized: z.boolean().default(true),
    /** Name sent in SNI and checked against the server certificate (default: the base_url host). */
    servername: z.string().min(1).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.cert_file && !t.key_file) ctx.addIssue({ code: 'custom', path: ['key_file'], message: "required with cert_file (the client certificate's private key)" });
    if (t.key_file && !t.cert_file) ctx.addIssue({ code: 'custom', path: ['cert_file'], message: 'required with key_file' });
  });

export const providerSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of letters, digits, "_", "." or "-"'),
  /** A vendor preset (src/providers/presets.ts): fills type, base_url and the key variable when they are not set. */
  preset: z
    .string()
    .refine((p) => p in PRESETS, { error: `unknown preset (known: ${Object.keys(PRESETS).join(', ')})` })
    .optional(),
  type: z.string().refine((t) => (SUPPORTED_PROVIDER_TYPES as readonly string[]).includes(t), {
    error: (issue) => `unknown provider type "${String(issue.input)}" (supported: ${SUPPORTED_PROVIDER_TYPES.join(', ')})`,
  }),
  base_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  /** Absent: no Authorization header is sent (local servers). Present but empty: provider is skipped. */
  api_key: z.string().optional(),
  /** Several keys, used round-robin (a refused or rate-limited key rests while the next takes over). */
  api_keys: z.array(z.string()).optional(),
  default_model: z.string().min(1).optional(),
  models: z.array(z.string().min(1)).min(1).optional(),
  pricing: z.record(z.string(), price).optional(),
  timeout_ms: num().pipe(z.number().int().positive()).default(30_000),
  /** Share of traffic under the `weighted` strategy (0: last resort only). */
  weight: num().pipe(z.number().nonnegative()).default(1),
  /** Most requests in flight to this provider at once (streams until they end); past it, the next candidate is tried. */
  max_connections: num().pipe(z.number().int().positive()).optional(),
  /** The provider's limits, for the `headroom` strategy: requests and tokens per minute. */
  rpm_limit: num().pipe(z.number().int().positive()).optional(),
  tpm_limit: num().pipe(z.number().int().positive()).optional(),
  /** What the provider's models can take; requests that need more skip it. Undeclared: assumed capable. */
  capabilities: capabilities.optional(),
  /** Per upstream model, over `capabilities`. */
  model_capabilities: z.record(z.string(), capabilities).optional(),
  /** A Statuspage-style JSON URL (…/api/v2/status.json), polled in the background. */
  status_page: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  tls: upstreamTlsSchema.optional(),
  /** A label `routing.lanes.low.avoid` may name instead of the provider (e.g. `premium`). */
  tier: z.string().min(1).optional(),
  /** The caller's own key for this provider: `passthrough` (instead of api_key) or `fallback` (after it). */
  client_keys: clientKeysMode.optional(),
});

/** The gateway's event types (src/core/events.ts), for webhook and stream filters. */
export const EVENT_TYPES = ['route', 'failover', 'breaker', 'success', 'failure'] as const;

/** One webhook: events of `types` (default: failover and breaker) POSTed as JSON to `url`. */
export const webhookSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  types: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
  /** Sent with every delivery (an Authorization header, say); never logged. */
  headers: z.record(z.string(), z.string()).optional(),
});

const hostPort = z.string().regex(/^[^\s:]+:\d+$/, 'must be host:port');

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      port: num().pipe(z.number().int().min(0).max(65_535)).default(8000),
      host: z.string().min(1).default('0.0.0.0'),
      /** On SIGTERM/SIGINT: how long in-flight requests and streams may take to finish. */
      shutdown_timeout_seconds: num().pipe(z.number().nonnegative()).default(30),
      /** Processes serving the port (Node's cluster); more than one needs `redis`, where they share their state. */
      workers: num().pipe(z.number().int().min(1).max(64)).default(1),
      /** A client must send its request headers within this long (slow-header clients are cut off with 408). */
      header_timeout_ms: num().pipe(z.number().int().positive()).default(10_000),
      /** A client must send its whole request (headers and body) within this long, or it gets 408. */
      body_timeout_ms: num().pipe(z.number().int().positive()).default(30_000),
      /** A stream silent this long gets a keep-alive (Anthropic's ping event, an SSE comment elsewhere); 0: never. */
      stream_keepalive_ms: num().pipe(z.number().int().nonnegative()).default(15_000),
      /** `serve` sends this many requests through a throwaway in-process gateway before it listens (compiles the request path); 0 (default): none. */
      warm_up_requests: num().pipe(z.number().int().nonnegative().max(100_000)).default(0),
    })
    .prefault({}),
  providers: z.array(providerSchema).default([]),
  /** Aliases: a public model name -> ordered targets (provider and upstream model), tried in order. */
  models: aliasesSchema.default({}),
  /** Named routing setups: each overrides `routing` fields and `models` aliases; `mode` picks the active one. */
  modes: z
    .record(
      z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name of letters, digits, ".", "_" and "-"'),
      z.strictObject({
        /** Fields of `routing` to override (all but fallback_chain and session_ttl_seconds); `routes` merge per model. */
        routing: z.record(z.string(), z.unknown()).optional(),
        /** Aliases to add or replace. */
        models: aliasesSchema.optional(),
      }),
    )
    .default({}),
  /** The mode in force at start (POST /admin/mode switches at runtime); unset: the top-level routing and models. */
  mode: z.string().min(1).optional(),
  /** How often status pages are read. */
  status_pages: z.strictObject({ interval_seconds: num().pipe(z.number().positive()).default(60), timeout_ms: num().pipe(z.number().int().positive()).default(5000) }).prefault({}),
  routing: routingSchema,
  circuit_breaker: z
    .strictObject({
      failure_threshold: num().pipe(z.number().int().positive()).default(5),
      cooldown_seconds: num().pipe(z.number().positive()).default(60),
    })
    .prefault({}),
  redis: z
    .strictObject({
      /** redis://[:password@]host:port[/db] or rediss://...; empty: in-process state. */
      url: z
        .string()
        .superRefine((url, ctx) => {
          const problem = redisUrlProblem(url);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        })
        .optional(),
      /** Sentinel: the sentinels and the master's name (password from the url or `password`). */
      sentinels: z.array(hostPort).optional(),
      sentinel_name: z.string().optional(),
      /** Cluster: seed nodes. */
      cluster: z.array(hostPort).optional(),
      password: z.string().optional(),
      key_prefix: z.string().default('switchyard:'),
      /** Measurements are aggregated in process and written in one pipelined batch this often. */
      flush_interval_ms: num().pipe(z.number().int().positive()).default(1000),
      /** Full re-read of shared breaker state (pub/sub carries changes as they happen). */
      sync_interval_ms: num().pipe(z.number().int().positive()).default(5000),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** Client keys: plain strings, or objects with a name and a policy (models, rate limits, budget). */
      keys: z
        .array(z.union([z.string().min(1), clientKeySchema]))
        .optional()
        .superRefine((keys, ctx) => {
          const seen = new Set<string>();
          keys?.forEach((k, i) => {
            if (typeof k === 'string') return;
            if (seen.has(k.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `the key name "${k.name}" is used twice: names identify keys in limits, budgets and /usage` });
            seen.add(k.name);
          });
        }),
      admin_keys: z.array(z.string().min(1)).optional(),
      /** GET /health and GET /metrics without a key (default); false: a client or admin key is required. */
      public_health: z.boolean().default(true),
      public_metrics: z.boolean().default(true),
    })
    .prefault({}),
  rate_limits: z
    .strictObject({
      /** Per client (its key with auth.keys, else its address); unset: no limit. */
      requests_per_minute: num().pipe(z.number().int().positive()).optional(),
      tokens_per_minute: num().pipe(z.number().int().positive()).optional(),
      /** With Redis: how often instances pool their counts. */
      sync_interval_ms: num().pipe(z.number().int().positive()).default(250),
    })
    .prefault({}),
  responses: z
    .strictObject({
      /** How long a stored Responses API response (`store`, default true) can be continued or read. */
      ttl_seconds: num().pipe(z.number().int().positive()).default(3600),
    })
    .prefault({}),
  idempotency: z
    .strictObject({
      /** How long a stored answer is replayed for a repeated Idempotency-Key. */
      ttl_seconds: num().pipe(z.number().int().positive()).default(86_400),
      /** Streams with an Idempotency-Key: events numbered, read to the end when the caller goes away, resumable (Last-Event-ID). */
      resume_streams: z.boolean().default(true),
      /** Largest answer stored (streams included); larger ones are served but not stored. */
      max_body_bytes: num()
        .pipe(z.number().int().positive())
        .default(4 * 1024 * 1024),
    })
    .prefault({}),
  events: z
    .strictObject({
      /** Where events are POSTed, from a bounded queue in the background (never on a request's path). */
      webhooks: z.array(webhookSchema).default([]),
      /** Deliveries waiting per webhook; past it the oldest is dropped (switchyard_webhook_dropped_total). */
      queue_size: num().pipe(z.number().int().positive()).default(1000),
      /** Retries after a failed delivery (5xx or no answer; a 4xx is not retried), waiting retry_base_ms, then x5 each time. */
      retries: num().pipe(z.number().int().nonnegative()).default(3),
      retry_base_ms: num().pipe(z.number().int().positive()).default(200),
      /** One delivery's deadline. */
      timeout_ms: num().pipe(z.number().int().positive()).default(5000),
    })
    .prefault({}),
  logging: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    })
    .prefault({}),
  limits: z
    .strictObject({
      /** Largest accepted request body; larger ones get 413. */
      max_body_bytes: num()
        .pipe(z.number().int().positive())
        .default(20 * 1024 * 1024),
      /** Proxied requests in flight at once (streams included); more get 503 at once. */
      max_concurrent_requests: num().pipe(z.number().int().positive()).default(1024),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type Capabilities = z.infer<typeof capabilities>;
export type UpstreamTlsConfig = z.infer<typeof upstreamTlsSchema>;
export type WebhookConfig = z.infer<typeof webhookSchema>;
export type ClientKeyConfig = z.infer<typeof clientKeySchema>;
export type EventsConfig = Config['events'];

/** Whether the config asks for state shared through Redis. */
export function redisConfigured(cfg: Config['redis']): boolean {
  return Boolean(cfg.url || cfg.sentinels?.length || cfg.cluster?.length);
}

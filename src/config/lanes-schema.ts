import { z } from 'zod';

/** A share in [0, 1], also when it arrived as the text of an interpolated `${VAR}`. */
const share = () => z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.number().min(0).max(1));

/** The `score` strategy's weights for one lane (each term is in [0, 1]; see `routing/score.ts`). */
const scoreWeights = z.strictObject({ capacity: share(), latency: share(), weight: share() }).optional();

/**
 * `routing.lanes`: the rules of the priority lanes (`x-switchyard-priority`; `src/routing/lanes.ts`).
 * Unset, the lanes change no order (no reserve, low may use whole budgets and every provider).
 *
 * @example
 * lanesSchema.parse({ low: { max_headroom_use: 0.5, avoid: ['openai'] }, high: { reserve: 0.2 } });
 */
export const lanesSchema = z
  .strictObject({
    high: z
      .strictObject({
        /** Share of each provider's minute budget kept for the high lane: normal uses it last, low never. */
        reserve: share().default(0),
        /** The `score` strategy's weights for this lane, over DEFAULT_SCORE_WEIGHTS. */
        score: scoreWeights,
      })
      .prefault({}),
    normal: z.strictObject({ score: scoreWeights }).prefault({}),
    low: z
      .strictObject({
        /** Share of a provider's minute budget the low lane may use: it stops at headroom 1 - this. */
        max_headroom_use: share().default(1),
        /** Provider names or tiers (a provider's `tier`) the low lane never uses. */
        avoid: z.array(z.string().min(1)).default([]),
        score: scoreWeights,
      })
      .prefault({}),
  })
  .prefault({});

/** Who may send the caller's own vendor key to a provider (`providers[].client_keys`). */
export const clientKeysMode = z.enum(['passthrough', 'fallback']);

/**
 * Warnings for `routing.lanes.low.avoid` entries that name neither a configured provider nor a tier (a
 * typo would let batch traffic reach the providers meant to be avoided).
 *
 * @example
 * laneWarnings([{ name: 'openai' }], ['opneai']); // ['routing.lanes.low.avoid[0]: "opneai" names no provider and no tier']
 */
export function laneWarnings(providers: ReadonlyArray<{ name: string; tier?: string | undefined }>, avoid: readonly string[]): string[] {
  const known = new Set(providers.flatMap((p) => (p.tier ? [p.name, p.tier] : [p.name])));
  return avoid.flatMap((a, i) => (known.has(a) ? [] : [`routing.lanes.low.avoid[${i}]: "${a}" names no provider and no tier`]));
}

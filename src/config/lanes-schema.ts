import { z } from 'zod';

/** A share in [0, 1], also when it arrived as the text of an interpolated `${VAR}`. */
const share = () => z.preprocess((v) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v), z.number().min(0).max(1));

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
      })
      .prefault({}),
    low: z
      .strictObject({
        /** Share of a provider's minute budget the low lane may use: it stops at headroom 1 - this. */
        max_headroom_use: share().default(1),
        /** Provider names or tiers (a provider's `tier`) the low lane never uses. */
        avoid: z.array(z.string().min(1)).default([]),
      })
      .prefault({}),
  })
  .prefault({});

/** Who may send the caller's own vendor key to a provider (`providers[].client_keys`). */
export const clientKeysMode = z.enum(['passthrough', 'fallback']);

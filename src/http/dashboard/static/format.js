// Number formatting for the dashboard (plain functions, no DOM).

/** Milliseconds, or a dash when there is no measurement. */
export const ms = (v) => (v === null || v === undefined ? '–' : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`);

/** A per-minute rate. */
export const rate = (v) => (v >= 100 ? String(Math.round(v)) : String(Math.round(v * 10) / 10));

/** Tokens, shortened (12.3k, 4.5M). */
export const tokens = (v) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)}k` : String(v));

/** US dollars with enough digits to see small amounts. */
export const usd = (v) => (v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`);

/** A 0..1 share as a percentage, or a dash when no limit is known. */
export const share = (v) => (v === null || v === undefined ? '–' : `${Math.round(v * 100)}%`);

const whole = (v) => (v === null || v === undefined ? '–' : String(Math.round(v)));

/** The three percentiles as "p50 / p95 / p99 ms". */
export const percentiles = (p) => (p.p50 === null ? '–' : `${whole(p.p50)} / ${whole(p.p95)} / ${whole(p.p99)} ms`);

/** A circuit state as people write it. */
export const circuitText = (c) => c.replace('_', '-');

/** Time of day, hh:mm:ss, from an ISO timestamp. */
export const clock = (iso) => new Date(iso).toTimeString().slice(0, 8);

import { type BudgetReading, RECENT_SECONDS, soonestExhaustion } from '../routing/quota.js';
import { RollingCounter } from './rolling.js';

/** What a provider said about its own limits in `x-ratelimit-*` headers. */
interface Reported {
  remaining: number;
  limit?: number;
  /** Until when the report holds. */
  until: number;
  /** Requests sent since it arrived (the provider's count has gone down by as many since). */
  sentSince: number;
}

const REQUESTS = 0;
const TOKENS = 1;

/**
 * Requests and tokens sent to one provider in the last minute, against its configured `rpm_limit` /
 * `tpm_limit` and what it reports in `x-ratelimit-remaining-*`: the headroom the `headroom` strategy reads.
 */
export class RateLimitTracker {
  private readonly minute = new RollingCounter(1000, 60, 2);
  /** The same counts over the last RECENT_SECONDS: the pace the quota prediction extrapolates. */
  private readonly recent = new RollingCounter(1000, RECENT_SECONDS, 2);
  private requests?: Reported;
  private tokens?: Reported;

  constructor(
    private readonly rpmLimit?: number,
    private readonly tpmLimit?: number,
  ) {}

  recordRequest(now: number): void {
    this.minute.add(REQUESTS, 1, now);
    this.recent.add(REQUESTS, 1, now);
    if (this.requests) this.requests.sentSince += 1;
  }

  recordTokens(tokens: number, now: number): void {
    this.minute.add(TOKENS, tokens, now);
    this.recent.add(TOKENS, tokens, now);
  }

  /** Reads OpenAI-style headers: x-ratelimit-{remaining,limit,reset}-{requests,tokens}. */
  recordHeaders(headers: Record<string, string | string[] | undefined>, now: number): void {
    const r = readReport(headers, 'requests', now);
    if (r) this.requests = r;
    const t = readReport(headers, 'tokens', now);
    if (t) this.tokens = t;
  }

  requestHeadroom(now: number): number | undefined {
    return headroom(this.rpmLimit, this.minute.sum(REQUESTS, now), this.requests, now);
  }

  tokenHeadroom(now: number): number | undefined {
    return headroom(this.tpmLimit, this.minute.sum(TOKENS, now), this.tokens, now);
  }

  /**
   * Seconds until the minute budget runs out at the pace of the last RECENT_SECONDS, when it runs out
   * before it resets (see `secondsUntilExhausted`); undefined when it does not, or nothing is known.
   * Budgets read: `rpm_limit` / `tpm_limit` against our own rolling minute (what leaves the window comes
   * back), and the provider's reported remaining requests (less those sent since) and tokens, until its reset.
   */
  exhaustsInS(now: number): number | undefined {
    const budgets: BudgetReading[] = [];
    const own = (limit: number | undefined, field: number) => {
      if (limit) budgets.push({ remaining: limit - this.minute.sum(field, now), spendPerS: this.pace(field, now), refillPerS: this.minute.sum(field, now) / 60 });
    };
    const theirs = (r: Reported | undefined, field: number, sent: number) => {
      if (r && r.until > now) budgets.push({ remaining: r.remaining - sent, spendPerS: this.pace(field, now), refillPerS: 0, resetsInS: (r.until - now) / 1000 });
    };
    own(this.rpmLimit, REQUESTS);
    own(this.tpmLimit, TOKENS);
    theirs(this.requests, REQUESTS, this.requests?.sentSince ?? 0);
    theirs(this.tokens, TOKENS, 0);
    return budgets.length > 0 ? soonestExhaustion(budgets) : undefined;
  }

  private pace(field: number, now: number): number {
    return this.recent.sum(field, now) / RECENT_SECONDS;
  }
}

function headroom(limit: number | undefined, used: number, reported: Reported | undefined, now: number): number | undefined {
  const own = limit ? clamp(1 - used / limit) : undefined;
  let theirs: number | undefined;
  if (reported && reported.until > now) {
    if (reported.limit) theirs = clamp(reported.remaining / reported.limit);
    else if (limit) theirs = clamp(reported.remaining / limit);
    else if (reported.remaining <= 0) theirs = 0;
  }
  if (own === undefined) return theirs;
  if (theirs === undefined) return own;
  return Math.min(own, theirs);
}

const clamp = (x: number) => Math.max(0, Math.min(1, x));

/** The header names, built once: a name concatenated per call is hashed anew on every look-up. */
const HEADER_NAMES = {
  requests: { remaining: 'x-ratelimit-remaining-requests', limit: 'x-ratelimit-limit-requests', reset: 'x-ratelimit-reset-requests' },
  tokens: { remaining: 'x-ratelimit-remaining-tokens', limit: 'x-ratelimit-limit-tokens', reset: 'x-ratelimit-reset-tokens' },
} as const;

function readReport(headers: Record<string, string | string[] | undefined>, kind: 'requests' | 'tokens', now: number): Reported | undefined {
  const names = HEADER_NAMES[kind];
  const remaining = num(headers[names.remaining]);
  if (remaining === undefined) return undefined;
  const limit = num(headers[names.limit]);
  const reset = parseDuration(headers[names.reset]);
  return { remaining, ...(limit ? { limit } : {}), until: now + (reset ?? 60_000), sentSince: 0 };
}

function num(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || s === '') return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** OpenAI's reset durations: "1s", "6m0s", "20ms", "1h2m3.5s", or plain seconds. */
export function parseDuration(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (!s) return undefined;
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  let ms = 0;
  let matched = false;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    matched = true;
    const n = Number(m[1]);
    ms += m[2] === 'h' ? n * 3_600_000 : m[2] === 'm' ? n * 60_000 : m[2] === 's' ? n * 1000 : n;
  }
  return matched ? ms : undefined;
}

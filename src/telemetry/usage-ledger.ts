/** Requests, tokens and cost per day, provider and model: what /usage reports. */
export interface UsageRow {
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost_usd: number;
}

export type Period = 'today' | 'week' | 'month' | 'all';
export type GroupBy = 'provider' | 'model' | 'key';
export const PERIODS: readonly Period[] = ['today', 'week', 'month', 'all'];
export const GROUPS: readonly GroupBy[] = ['provider', 'model', 'key'];
/** What group_by=key calls answers to callers that presented no client key. */
export const NO_KEY = 'anonymous';

let lastDay = { start: 0, end: 0, text: '' };

/** UTC day, `YYYY-MM-DD` (the current day's text is kept: this runs on every answer). */
export function dayOf(ms: number): string {
  if (ms >= lastDay.start && ms < lastDay.end) return lastDay.text;
  const start = ms - (ms % 86_400_000);
  const text = new Date(ms).toISOString().slice(0, 10);
  if (ms >= Date.now() - 86_400_000) lastDay = { start, end: start + 86_400_000, text };
  return text;
}

/** The days a period covers, newest first; undefined for `all`. Weeks and months are the last 7 and 30 days. */
export function daysOf(period: Period, now: number): string[] | undefined {
  const n = period === 'today' ? 1 : period === 'week' ? 7 : period === 'month' ? 30 : 0;
  if (n === 0) return undefined;
  return Array.from({ length: n }, (_, i) => dayOf(now - i * 86_400_000));
}

export const emptyRow = (): UsageRow => ({ requests: 0, prompt_tokens: 0, completion_tokens: 0, cost_usd: 0 });

export function addRow(into: UsageRow, r: Partial<UsageRow>): void {
  into.requests += r.requests ?? 0;
  into.prompt_tokens += r.prompt_tokens ?? 0;
  into.completion_tokens += r.completion_tokens ?? 0;
  into.cost_usd += r.cost_usd ?? 0;
}

/**
 * Key of one ledger line: `provider|model`, and the client key's name after a unit separator (names
 * are letters, digits, `.`, `_` and `-`; lines written before keys had names have none).
 */
export const lineKey = (provider: string, model: string, key?: string): string => (key ? `${provider}|${model}\u001f${key}` : `${provider}|${model}`);

/** The provider, model and key name of a line. */
function lineParts(line: string): [string, string, string] {
  const bar = line.indexOf('|');
  const sep = line.indexOf('\u001f', bar);
  return sep < 0 ? [line.slice(0, bar), line.slice(bar + 1), NO_KEY] : [line.slice(0, bar), line.slice(bar + 1, sep), line.slice(sep + 1)];
}

export function groupRows(lines: Iterable<[string, UsageRow]>, groupBy: GroupBy): Record<string, UsageRow> {
  const out: Record<string, UsageRow> = {};
  const at = groupBy === 'provider' ? 0 : groupBy === 'model' ? 1 : 2;
  for (const [line, row] of lines) addRow((out[lineParts(line)[at]] ??= emptyRow()), row);
  for (const r of Object.values(out)) r.cost_usd = Math.round(r.cost_usd * 1e6) / 1e6;
  return out;
}

/** The in-process ledger (the whole truth without Redis; a fallback with it). */
export class UsageLedger {
  private readonly days = new Map<string, Map<string, UsageRow>>();

  /** `line`: see lineKey. */
  record(line: string, delta: Partial<UsageRow>, now: number): void {
    const day = dayOf(now);
    let lines = this.days.get(day);
    if (!lines) this.days.set(day, (lines = new Map()));
    const key = line;
    let row = lines.get(key);
    if (!row) lines.set(key, (row = emptyRow()));
    addRow(row, delta);
  }

  *lines(period: Period, now: number): Iterable<[string, UsageRow]> {
    const days = daysOf(period, now);
    for (const [day, lines] of this.days) {
      if (days && !days.includes(day)) continue;
      yield* lines;
    }
  }
}

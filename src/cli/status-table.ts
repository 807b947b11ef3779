import type { Overview, ProviderOverview } from '../http/dashboard/overview.js';

export interface RenderOptions {
  /** ANSI colours (only on a terminal). */
  color: boolean;
  /** The gateway's address, shown in the title. */
  url?: string;
}

const ANSI = { reset: '\x1b[0m', bold: '\x1b[1m', dim: '\x1b[2m', red: '\x1b[31m', green: '\x1b[32m', yellow: '\x1b[33m' } as const;
type Tone = 'red' | 'green' | 'yellow' | 'dim' | 'bold';

const TONES: Record<string, Tone> = { closed: 'green', half_open: 'yellow', open: 'red', ok: 'green', degraded: 'yellow', unavailable: 'red' };

interface Cell {
  text: string;
  tone?: Tone;
  right?: boolean;
}

const COLUMNS: ReadonlyArray<[string, (p: ProviderOverview) => Cell]> = [
  ['PROVIDER', (p) => ({ text: p.name, tone: 'bold' })],
  ['CIRCUIT', (p) => ({ text: p.circuit.replace('_', '-'), tone: TONES[p.circuit] ?? 'dim' })],
  ['REQ/MIN', (p) => ({ text: perMinute(p.requests_per_minute), right: true })],
  ['FAIL/MIN', (p) => ({ text: perMinute(p.failures_per_minute), right: true, ...(p.failures_per_minute > 0 ? { tone: 'red' as const } : {}) })],
  ['P50 MS', (p) => ({ text: ms(p.latency_ms.p50), right: true })],
  ['P95 MS', (p) => ({ text: ms(p.latency_ms.p95), right: true })],
  ['P99 MS', (p) => ({ text: ms(p.latency_ms.p99), right: true })],
  ['TTFB P50', (p) => ({ text: ms(p.first_chunk_ms.p50), right: true })],
  ['COST TODAY', (p) => ({ text: usd(p.today.cost_usd), right: true })],
  ['TOKENS', (p) => ({ text: tokens(p.today.tokens), right: true })],
  ['HEADROOM', (p) => ({ text: headroom(p), right: true })],
  ['STATUS PAGE', (p) => ({ text: p.status_page ?? '-' })],
];

/**
 * The `switchyard status` table: a title line, one row per provider (the dashboard's figures) and the
 * day's totals. Pure: the same overview gives the same text; colours only when asked.
 *
 * @example
 * renderStatusTable(overview, { color: false });
 * // switchyard  ok  strategy cost  this instance (no Redis)  12:00:00
 * // PROVIDER    CIRCUIT  REQ/MIN ...
 */
export function renderStatusTable(data: Overview, options: RenderOptions): string {
  const paint = (cell: Cell) => (options.color && cell.tone ? `${ANSI[cell.tone]}${cell.text}${ANSI.reset}` : cell.text);
  const rows = data.providers.map((p) => COLUMNS.map(([, cell]) => cell(p)));
  const widths = COLUMNS.map(([title], i) => Math.max(title.length, ...rows.map((r) => r[i]!.text.length)));
  const line = (cells: Cell[]) =>
    cells
      .map((c, i) => {
        const pad = ' '.repeat(widths[i]! - c.text.length);
        return c.right ? pad + paint(c) : paint(c) + pad;
      })
      .join('  ')
      .trimEnd();
  const scope = data.source === 'redis' ? `fleet-wide (Redis${data.instances ? `, ${data.instances} instance${data.instances === 1 ? '' : 's'} serving` : ''})` : 'this instance (no Redis)';
  const title = [
    paint({ text: 'switchyard', tone: 'bold' }),
    ...(options.url ? [options.url] : []),
    paint({ text: data.status, tone: TONES[data.status] ?? 'dim' }),
    data.mode ? `strategy ${data.strategy} (mode ${data.mode})` : `strategy ${data.strategy}`,
    scope,
    data.at.slice(11, 19),
  ].join('  ');
  const header = line(COLUMNS.map(([title], i) => ({ text: title, right: Boolean(rows[0]?.[i]?.right), tone: 'dim' })));
  const open = data.open_breakers.length > 0 ? paint({ text: `open breakers: ${data.open_breakers.join(', ')}`, tone: 'red' }) : 'no open breaker';
  const totals = `today: ${data.today.requests} requests, ${tokens(data.today.tokens)} tokens, ${usd(data.today.cost_usd)}; rates: ${data.rates === 'fleet' ? 'fleet' : 'this instance'}; ${open}`;
  const body = rows.length > 0 ? rows.map(line) : ['(no providers configured)'];
  return [title, '', header, ...body, '', totals].join('\n') + '\n';
}

const ms = (v: number | null) => (v === null ? '-' : String(Math.round(v)));
const perMinute = (v: number) => (v >= 100 ? String(Math.round(v)) : v.toFixed(1));
const tokens = (v: number) => (v >= 1e6 ? `${(v / 1e6).toFixed(1)}M` : v >= 1e4 ? `${(v / 1e3).toFixed(1)}k` : String(v));
const usd = (v: number) => (v >= 100 ? `$${v.toFixed(0)}` : v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(4)}`);
const share = (v: number | null) => (v === null ? '-' : `${Math.round(v * 100)}%`);
const headroom = (p: ProviderOverview) => (p.headroom.requests === null && p.headroom.tokens === null ? '-' : `${share(p.headroom.requests)}/${share(p.headroom.tokens)}`);

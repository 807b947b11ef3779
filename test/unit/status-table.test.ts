import { describe, expect, it } from 'vitest';
import { parseStatusArgs } from '../../src/cli/status.js';
import { renderStatusTable } from '../../src/cli/status-table.js';
import type { Overview, ProviderOverview } from '../../src/http/dashboard/overview.js';

const provider = (name: string, over: Partial<ProviderOverview> = {}): ProviderOverview => ({
  name,
  type: 'openai',
  circuit: 'closed',
  requests_per_minute: 12,
  failures_per_minute: 0,
  latency_ms: { p50: 210.4, p95: 480, p99: 1210.7 },
  first_chunk_ms: { p50: 95, p95: 120, p99: 130 },
  today: { requests: 40, tokens: 12_345, cost_usd: 0.01234 },
  headroom: { requests: 0.8, tokens: null },
  status_page: null,
  ...over,
});

const overview = (providers: ProviderOverview[], over: Partial<Overview> = {}): Overview => ({
  at: '2026-12-06T22:39:16.000Z',
  status: 'ok',
  uptime_seconds: 60,
  strategy: 'cost',
  mode: null,
  source: 'local',
  rates: 'instance',
  instances: null,
  providers,
  today: { requests: 40, tokens: 12_345, cost_usd: 0.01234 },
  open_breakers: providers.filter((p) => p.circuit === 'open').map((p) => p.name),
  ...over,
});

describe('renderStatusTable', () => {
  it('names the mode in force beside the strategy', () => {
    expect(renderStatusTable(overview([provider('openai')], { mode: 'budget' }), { color: false }).split('\n')[0]).toContain('strategy cost (mode budget)');
  });

  it('draws one aligned row per provider with the dashboard figures, and the totals', () => {
    const text = renderStatusTable(overview([provider('openai'), provider('anthropic-long-name', { circuit: 'open', failures_per_minute: 3.25, latency_ms: { p50: null, p95: null, p99: null } })]), {
      color: false,
    });
    const lines = text.split('\n');
    expect(lines[0]).toBe('switchyard  ok  strategy cost  this instance (no Redis)  22:39:16');
    const header = lines[2]!;
    const row = lines[3]!;
    const open = lines[4]!;
    expect(header).toMatch(/^PROVIDER\s+CIRCUIT\s+REQ\/MIN\s+FAIL\/MIN\s+P50 MS\s+P95 MS\s+P99 MS\s+TTFB P50\s+COST TODAY\s+TOKENS\s+HEADROOM\s+STATUS PAGE$/);
    expect(row.split(/\s{2,}/)).toEqual(['openai', 'closed', '12.0', '0.0', '210', '480', '1211', '95', '$0.0123', '12.3k', '80%/-', '-']);
    expect(open.split(/\s{2,}/).slice(0, 7)).toEqual(['anthropic-long-name', 'open', '12.0', '3.3', '-', '-', '-']);
    // Right-aligned numbers end in the same column as their heading.
    expect(row.indexOf('12.0') + 4).toBe(header.indexOf('REQ/MIN') + 7);
    expect(text).toContain('today: 40 requests, 12.3k tokens, $0.0123; rates: this instance; open breakers: anthropic-long-name');
    expect(text).not.toContain('\x1b[');
  });

  it('colours circuit states and the status only when asked', () => {
    const text = renderStatusTable(overview([provider('a', { circuit: 'half_open' }), provider('b', { circuit: 'open' })], { status: 'degraded' }), { color: true, url: 'http://gw:8000' });
    expect(text).toContain('\x1b[33mhalf-open\x1b[0m');
    expect(text).toContain('\x1b[31mopen\x1b[0m');
    expect(text).toContain('\x1b[33mdegraded\x1b[0m');
    expect(text).toContain('http://gw:8000');
  });

  it('says fleet-wide with Redis, and when there is no provider', () => {
    const text = renderStatusTable(overview([], { source: 'redis', instances: 3, rates: 'fleet' }), { color: false });
    expect(text).toContain('fleet-wide (Redis, 3 instances serving)');
    expect(text).toContain('(no providers configured)');
    expect(text).toContain('rates: fleet; no open breaker');
  });
});

describe('parseStatusArgs', () => {
  it('reads flags, falls back to the environment, and refuses bad values', () => {
    expect(parseStatusArgs(['--url', 'http://gw:9000/', '--key=k1', '--watch', '--interval', '0.5', '--json'], {})).toEqual({
      url: 'http://gw:9000',
      key: 'k1',
      watch: true,
      intervalMs: 500,
      json: true,
    });
    expect(parseStatusArgs([], { SWITCHYARD_URL: 'http://x:1', SWITCHYARD_ADMIN_KEY: 'k2' })).toEqual({ url: 'http://x:1', key: 'k2', watch: false, intervalMs: 2000, json: false });
    expect(parseStatusArgs(['--interval', '0'], {})).toBe('--interval: "0" is not a positive number of seconds');
    expect(parseStatusArgs(['--url', 'gw:8000'], {})).toBe('--url: "gw:8000" is not an http(s) URL');
  });
});

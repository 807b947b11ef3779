import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CounterFamily, GaugeFamily, HistogramFamily } from '../../src/telemetry/series.js';

/** The text prom-client's registry writes for the families registered on it. */
async function text(families: (r: Registry) => void): Promise<string[]> {
  const registry = new Registry();
  families(registry);
  return (await registry.metrics()).split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

describe('metric series in prom-client’s registry', () => {
  it('counts per label values, resolving each series once', async () => {
    let requests: CounterFamily | undefined;
    const lines = await text((r) => {
      requests = new CounterFamily({ name: 't_requests_total', help: 'h', labelNames: ['route', 'status'], registers: [r] });
      const ok = requests.labels('chat', 200);
      expect(requests.labels('chat', '200')).toBe(ok);
      ok.inc();
      ok.inc(2);
      requests.labels('embeddings', 400).inc();
    });
    expect(lines).toEqual(['t_requests_total{route="chat",status="200"} 3', 't_requests_total{route="embeddings",status="400"} 1']);
    expect(() => requests!.labels('chat')).toThrow(/2 label values expected/);
    expect(() => requests!.labels('chat', 200).inc(-1)).toThrow(/only goes up/);
  });

  it('shows an unlabelled counter and gauge at zero before any change, and a gauge going both ways', async () => {
    let gauge: GaugeFamily | undefined;
    expect(
      await text((r) => {
        new CounterFamily({ name: 't_unserved_total', help: 'h', registers: [r] });
        gauge = new GaugeFamily({ name: 't_in_flight', help: 'h', registers: [r] });
      }),
    ).toEqual(['t_unserved_total 0', 't_in_flight 0']);
    const registry = new Registry();
    gauge = new GaugeFamily({ name: 't_in_flight', help: 'h', registers: [registry] });
    gauge.inc();
    gauge.inc();
    gauge.dec();
    expect(await registry.metrics()).toContain('t_in_flight 1\n');
    const mode = new GaugeFamily({ name: 't_mode', help: 'h', labelNames: ['mode'], registers: [registry] });
    mode.labels('fast').set(1);
    mode.reset();
    mode.labels('cheap').set(1);
    const out = await registry.metrics();
    expect(out).toContain('t_mode{mode="cheap"} 1');
    expect(out).not.toContain('mode="fast"');
  });

  it('exports a histogram’s buckets cumulatively, with +Inf, sum and count, as prom-client does', async () => {
    const lines = await text((r) => {
      const h = new HistogramFamily({ name: 't_latency_seconds', help: 'h', labelNames: ['provider'], buckets: [0.1, 0.01, 1], registers: [r] });
      const a = h.labels('a');
      for (const v of [0.005, 0.01, 0.5, 3]) a.observe(v);
    });
    expect(lines).toEqual([
      't_latency_seconds_bucket{le="0.01",provider="a"} 2',
      't_latency_seconds_bucket{le="0.1",provider="a"} 2',
      't_latency_seconds_bucket{le="1",provider="a"} 3',
      't_latency_seconds_bucket{le="+Inf",provider="a"} 4',
      't_latency_seconds_sum{provider="a"} 3.515',
      't_latency_seconds_count{provider="a"} 4',
    ]);
    expect(() => new HistogramFamily({ name: 't_x', help: 'h', buckets: [1] }).observe(Number.NaN)).toThrow(/finite/);
  });
});

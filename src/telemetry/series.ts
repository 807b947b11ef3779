import type { Registry } from 'prom-client';

/*
 * Counters, gauges and histograms for the request path, exposed through a prom-client `Registry` (the
 * text format is prom-client's). A labelled series is a plain object resolved once per label values
 * and kept: incrementing it is one addition. prom-client's own children hash their label object into a
 * string and validate it on every increment (about 0.3 us and 200 bytes of garbage each, several times
 * per request).
 */

interface FamilyOptions {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers?: Registry[];
}

type Labels = Record<string, string>;

/** One exported line: prom-client's registry formats it (`metricName` defaults to the family's name). */
interface Line {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** What prom-client's registry reads of a metric to write the text format. */
interface Exported {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  aggregator: 'sum';
  values: Line[];
}

abstract class Family<S> {
  readonly name: string;
  readonly help: string;
  protected readonly labelNames: readonly string[];
  protected readonly series = new Map<string, { labels: Labels; s: S }>();

  constructor(o: FamilyOptions) {
    this.name = o.name;
    this.help = o.help;
    this.labelNames = o.labelNames ?? [];
    for (const r of o.registers ?? []) r.registerMetric(this as never);
  }

  abstract readonly type: Exported['type'];

  protected abstract create(): S;

  /** The exported lines of one series. */
  protected abstract lines(labels: Labels, s: S, out: Line[]): void;

  /** The series of these label values (in `labelNames` order), made on first use. */
  labels(...values: Array<string | number>): S {
    const key = values.length === 1 ? String(values[0]) : values.join('\u0000');
    let entry = this.series.get(key);
    if (!entry) {
      if (values.length !== this.labelNames.length) throw new Error(`${this.name}: ${this.labelNames.length} label values expected, got ${values.length}`);
      const labels: Labels = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = String(values[i]);
      });
      entry = { labels, s: this.create() };
      this.series.set(key, entry);
    }
    return entry.s;
  }

  /** Drops every series (a gauge set anew, as `switchyard_mode` is on a switch). */
  reset(): void {
    this.series.clear();
  }

  /** What prom-client's registry writes out. */
  async get(): Promise<Exported> {
    // An unlabelled metric shows from the start, at zero (as prom-client's do).
    if (this.labelNames.length === 0 && this.series.size === 0) this.labels();
    const values: Line[] = [];
    for (const { labels, s } of this.series.values()) this.lines(labels, s, values);
    return { name: this.name, help: this.help, type: this.type, aggregator: 'sum', values };
  }
}

/** A family whose series are one number each (counters, gauges): one line per series. */
abstract class ValueFamily<S extends { value: number }> extends Family<S> {
  protected lines(labels: Labels, s: S, out: Line[]): void {
    out.push({ labels, value: s.value });
  }
}

/** One counter series. */
export class CounterSeries {
  value = 0;

  inc(by = 1): void {
    if (!(by >= 0)) throw new Error(`a counter only goes up (got ${by})`);
    this.value += by;
  }
}

/**
 * A counter by label values.
 *
 * @example
 * const requests = new CounterFamily({ name: 'x_requests_total', help: 'Requests', labelNames: ['route'], registers: [registry] });
 * const chat = requests.labels('chat'); // once
 * chat.inc();                           // per request
 */
export class CounterFamily extends ValueFamily<CounterSeries> {
  readonly type = 'counter';

  protected create(): CounterSeries {
    return new CounterSeries();
  }

  /** The unlabelled series. */
  inc(by = 1): void {
    this.labels().inc(by);
  }
}

/** One gauge series. */
export class GaugeSeries {
  value = 0;

  set(v: number): void {
    this.value = v;
  }

  inc(by = 1): void {
    this.value += by;
  }

  dec(by = 1): void {
    this.value -= by;
  }
}

/**
 * A gauge by label values (none: one series, shown at 0 from the start).
 *
 * @example
 * const inFlight = new GaugeFamily({ name: 'x_in_flight', help: 'In flight', registers: [registry] });
 * inFlight.inc(); inFlight.dec();
 */
export class GaugeFamily extends ValueFamily<GaugeSeries> {
  readonly type = 'gauge';

  protected create(): GaugeSeries {
    return new GaugeSeries();
  }

  set(v: number): void {
    this.labels().set(v);
  }

  inc(by = 1): void {
    this.labels().inc(by);
  }

  dec(by = 1): void {
    this.labels().dec(by);
  }
}

/** One histogram series: a count per bucket (not cumulative until exported), the sum and the count. */
export class HistogramSeries {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Array<number>(bounds.length).fill(0);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) throw new TypeError(`not a finite number: ${v}`);
    const b = this.bounds;
    for (let i = 0; i < b.length; i++) {
      if (v <= b[i]!) {
        this.counts[i]! += 1;
        break;
      }
    }
    this.sum += v;
    this.count += 1;
  }
}

/**
 * A histogram by label values, with fixed buckets (exported cumulatively, with `+Inf`, `_sum`, `_count`).
 *
 * @example
 * const latency = new HistogramFamily({ name: 'x_seconds', help: 'Latency', labelNames: ['provider'], buckets: [0.1, 1], registers: [registry] });
 * latency.labels('openai').observe(0.25);
 */
export class HistogramFamily extends Family<HistogramSeries> {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(o: FamilyOptions & { buckets: readonly number[] }) {
    super(o);
    this.bounds = [...o.buckets].sort((a, b) => a - b);
  }

  protected create(): HistogramSeries {
    return new HistogramSeries(this.bounds);
  }

  observe(v: number): void {
    this.labels().observe(v);
  }

  protected lines(labels: Labels, s: HistogramSeries, out: Line[]): void {
    const bucket = `${this.name}_bucket`;
    let acc = 0;
    this.bounds.forEach((le, i) => {
      acc += s.counts[i]!;
      out.push({ labels: { le: String(le), ...labels }, value: acc, metricName: bucket });
    });
    out.push({ labels: { le: '+Inf', ...labels }, value: s.count, metricName: bucket });
    out.push({ labels, value: s.sum, metricName: `${this.name}_sum` });
    out.push({ labels, value: s.count, metricName: `${this.name}_count` });
  }
}

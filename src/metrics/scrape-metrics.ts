/**
 * Metrics kept as plain numbers and read by prom-client's registry only when /metrics is scraped.
 * Hot paths (every request, every plugin call) update a field or a bucket slot — nanoseconds — where a
 * prom-client labelled child hashes its label set on every call (about a microsecond each).
 */
import { type Metric, register } from 'prom-client';

export interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A histogram of one label set: observations per bucket (not cumulative; the last slot is +Inf). */
export class HistogramStats {
  readonly buckets: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.buckets = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.buckets[i]++;
    this.sum += value;
    this.count++;
  }

  /** The Prometheus series of this histogram (`_bucket` cumulative, `_sum`, `_count`) with `labels`. */
  values(name: string, labels: Record<string, string | number>): MetricValue[] {
    const values: MetricValue[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.buckets[i];
      values.push({ value: cumulative, labels: { ...labels, le }, metricName: `${name}_bucket` });
    });
    values.push({ value: this.count, labels: { ...labels, le: '+Inf' }, metricName: `${name}_bucket` });
    values.push({ value: this.sum, labels, metricName: `${name}_sum` });
    values.push({ value: this.count, labels, metricName: `${name}_count` });
    return values;
  }
}

/** Registers a metric on the default register whose values are computed at scrape time (once per name). */
export function registerScrapeMetric(name: string, help: string, type: 'counter' | 'gauge' | 'histogram', values: () => MetricValue[]): void {
  if (register.getSingleMetric(name) !== undefined) return;
  const metric = {
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, aggregator: 'sum', values: values() }),
    reset: () => undefined,
  };
  register.registerMetric(metric as unknown as Metric);
}

/**
 * Prometheus metrics of the plugins, on prom-client's default register (served at /metrics):
 *
 *   image_policy_plugin_evaluations_total{plugin, verdict}    allow, warn, deny — or error when the plugin failed
 *   image_policy_plugin_failures_total{plugin, kind}          error, rejection, timeout, invalid-result, invalid-mutation
 *   image_policy_plugin_evaluation_duration_seconds{plugin}   histogram
 *
 * These are on every plugin call of every request, so they are plain numbers per plugin (a few
 * nanoseconds to update) that the registry reads when /metrics is scraped; prom-client's labelled
 * children cost about a microsecond per plugin call. Process-wide, keyed by plugin name, like labels.
 */
import { type Metric, register } from 'prom-client';

export type PluginFailureKind = 'error' | 'rejection' | 'timeout' | 'invalid-result' | 'invalid-mutation';
export type EvaluationOutcome = 'allow' | 'warn' | 'deny' | 'error';

const FAILURE_KINDS: readonly PluginFailureKind[] = ['error', 'rejection', 'timeout', 'invalid-result', 'invalid-mutation'];
const OUTCOMES: readonly EvaluationOutcome[] = ['allow', 'warn', 'deny', 'error'];
/** Upper bounds in seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One plugin's counters. */
export class PluginStats {
  readonly evaluations: Record<EvaluationOutcome, number> = { allow: 0, warn: 0, deny: 0, error: 0 };
  readonly failures: Record<PluginFailureKind, number> = { error: 0, rejection: 0, timeout: 0, 'invalid-result': 0, 'invalid-mutation': 0 };
  /** Observations per bucket (not cumulative); the last slot is +Inf. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[i]) i++;
    this.buckets[i]++;
    this.sum += seconds;
    this.count++;
  }
}

const stats = new Map<string, PluginStats>();

/** The counters of one plugin (created on first use; shared by every runner of the process). */
export function pluginStats(plugin: string): PluginStats {
  let found = stats.get(plugin);
  if (found === undefined) {
    found = new PluginStats();
    stats.set(plugin, found);
  }
  return found;
}

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** A metric prom-client's registry reads with `get()` at scrape time. */
function collector(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]): void {
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

collector('image_policy_plugin_evaluations_total', 'Plugin evaluations by plugin and verdict (allow, warn, deny, or error when the plugin failed)', 'counter', () => {
  const values: MetricValue[] = [];
  for (const [plugin, s] of stats) for (const verdict of OUTCOMES) if (s.evaluations[verdict] > 0) values.push({ value: s.evaluations[verdict], labels: { plugin, verdict } });
  return values;
});

collector('image_policy_plugin_failures_total', 'Plugin failures at run time by plugin and kind (error, rejection, timeout, invalid-result, invalid-mutation)', 'counter', () => {
  const values: MetricValue[] = [];
  for (const [plugin, s] of stats) for (const kind of FAILURE_KINDS) if (s.failures[kind] > 0) values.push({ value: s.failures[kind], labels: { plugin, kind } });
  return values;
});

const DURATION = 'image_policy_plugin_evaluation_duration_seconds';
collector(DURATION, 'Time plugins take to evaluate one image, by plugin', 'histogram', () => {
  const values: MetricValue[] = [];
  for (const [plugin, s] of stats) {
    if (s.count === 0) continue;
    let cumulative = 0;
    DURATION_BUCKETS.forEach((le, i) => {
      cumulative += s.buckets[i];
      values.push({ value: cumulative, labels: { plugin, le }, metricName: `${DURATION}_bucket` });
    });
    values.push({ value: s.count, labels: { plugin, le: '+Inf' }, metricName: `${DURATION}_bucket` });
    values.push({ value: s.sum, labels: { plugin }, metricName: `${DURATION}_sum` });
    values.push({ value: s.count, labels: { plugin }, metricName: `${DURATION}_count` });
  }
  return values;
});

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
import { PLUGIN_FAILURE_KINDS, PLUGIN_VERDICTS, type PluginFailureKind } from '../common/plugin-run.js';
import { HistogramStats, type MetricValue, registerScrapeMetric } from '../metrics/scrape-metrics.js';

export type { PluginFailureKind };
export type EvaluationOutcome = (typeof PLUGIN_VERDICTS)[number] | 'error';

const FAILURE_KINDS: readonly PluginFailureKind[] = PLUGIN_FAILURE_KINDS;
const OUTCOMES: readonly EvaluationOutcome[] = [...PLUGIN_VERDICTS, 'error'];
/** Upper bounds in seconds. */
export const DURATION_BUCKETS: readonly number[] = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One plugin's counters. */
export class PluginStats {
  readonly evaluations: Record<EvaluationOutcome, number> = { allow: 0, warn: 0, deny: 0, error: 0 };
  readonly failures: Record<PluginFailureKind, number> = { error: 0, rejection: 0, timeout: 0, 'invalid-result': 0, 'invalid-mutation': 0 };
  readonly duration = new HistogramStats(DURATION_BUCKETS);

  observe(seconds: number): void {
    this.duration.observe(seconds);
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

registerScrapeMetric('image_policy_plugin_evaluations_total', 'Plugin evaluations by plugin and verdict (allow, warn, deny, or error when the plugin failed)', 'counter', () => {
  const values: MetricValue[] = [];
  for (const [plugin, s] of stats) for (const verdict of OUTCOMES) if (s.evaluations[verdict] > 0) values.push({ value: s.evaluations[verdict], labels: { plugin, verdict } });
  return values;
});

registerScrapeMetric('image_policy_plugin_failures_total', 'Plugin failures at run time by plugin and kind (error, rejection, timeout, invalid-result, invalid-mutation)', 'counter', () => {
  const values: MetricValue[] = [];
  for (const [plugin, s] of stats) for (const kind of FAILURE_KINDS) if (s.failures[kind] > 0) values.push({ value: s.failures[kind], labels: { plugin, kind } });
  return values;
});

const DURATION = 'image_policy_plugin_evaluation_duration_seconds';
registerScrapeMetric(DURATION, 'Time plugins take to evaluate one image, by plugin', 'histogram', () => {
  const values: MetricValue[] = [];
  for (const [plugin, s] of stats) if (s.duration.count > 0) values.push(...s.duration.values(DURATION, { plugin }));
  return values;
});

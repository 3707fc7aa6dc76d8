import { collectDefaultMetrics, register } from 'prom-client';
import { TwoKeyMap } from '../common/two-key-map.js';
import { HistogramStats, type MetricValue, registerScrapeMetric } from './scrape-metrics.js';

const REQUESTS = 'http_requests_total';
const DURATION = 'http_request_duration_seconds';
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Per method and route pattern: the request count per status and the latency histogram. */
interface RouteSeries {
  method: string;
  route: string;
  statuses: Map<number, number>;
  duration: HistogramStats;
}

/** By route pattern, then method (strings the router already holds: no key built per request). */
const series = new TwoKeyMap<RouteSeries>((route, method) => ({ method, route, statuses: new Map(), duration: new HistogramStats(BUCKETS) }));
let defaultsCollected = false;

registerScrapeMetric(REQUESTS, 'HTTP requests answered, by method, route pattern and status code', 'counter', () => {
  const values: MetricValue[] = [];
  for (const { method, route, statuses } of series.values()) {
    for (const [status, count] of statuses) values.push({ value: count, labels: { method, route, status } });
  }
  return values;
});

registerScrapeMetric(DURATION, 'Time to answer HTTP requests, by method and route pattern', 'histogram', () => {
  const values: MetricValue[] = [];
  for (const { method, route, duration } of series.values()) values.push(...duration.values(DURATION, { method, route }));
  return values;
});

/** Prometheus' default process metrics (CPU, memory, event loop), once per process. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  collectDefaultMetrics();
  defaultsCollected = true;
}

/**
 * Counts and times one answered request into plain numbers read at scrape time. Routes are labelled by
 * their pattern (`/v1/references/parse`), never by the raw URL, so hostile URLs cannot multiply series.
 * Called from the service's one per-request `onResponse` hook (app.factory.ts), which also writes the access log.
 */
export function recordHttpRequest(method: string, route: string, status: number, seconds: number): void {
  const entry = series.get(route, method);
  entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
  entry.duration.observe(seconds);
}

export const metricsRegistry = register;

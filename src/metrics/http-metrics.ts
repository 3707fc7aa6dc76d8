import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, register } from 'prom-client';

let defaultsCollected = false;

const requests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests answered, by method, route pattern and status code',
  labelNames: ['method', 'route', 'status'] as const,
});

const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time to answer HTTP requests, by method and route pattern',
  labelNames: ['method', 'route'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});

/**
 * Counts and times every request in one Fastify hook. Routes are labelled by their pattern
 * (`/v1/references/parse`), never by the raw URL, so hostile URLs cannot explode label cardinality.
 */
export function instrumentHttp(fastify: FastifyInstance): void {
  if (!defaultsCollected) {
    collectDefaultMetrics();
    defaultsCollected = true;
  }
  // Label lookups hash the label set on every call; keep each series' child instead.
  const series = new Map<string, { count: () => void; time: (seconds: number) => void }>();
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${reply.statusCode} ${route}`;
    let child = series.get(key);
    if (child === undefined) {
      const counter = requests.labels(request.method, route, String(reply.statusCode));
      const histogram = duration.labels(request.method, route);
      child = { count: () => counter.inc(), time: (seconds) => histogram.observe(seconds) };
      series.set(key, child);
    }
    child.count();
    child.time(reply.elapsedTime / 1000);
    done();
  });
}

export const metricsRegistry = register;

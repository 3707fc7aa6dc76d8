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
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: reply.statusCode });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
}

export const metricsRegistry = register;

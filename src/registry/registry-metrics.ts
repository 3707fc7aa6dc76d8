/**
 * Prometheus metrics of the digest lookup, on prom-client's default register (served at /metrics).
 * Created once per process (several DigestService instances, e.g. in tests, share them). Label values
 * are bounded: registry hosts are user-chosen, so only the first few distinct ones get their own label.
 */
import { Counter, Gauge, type Metric, register } from 'prom-client';
import { TwoKeyMap } from '../common/two-key-map.js';
import { type MetricValue, registerScrapeMetric } from '../metrics/scrape-metrics.js';

function once<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** Lookups by outcome and source, counted per lookup as plain numbers (the cached path is hot) and read at scrape time. */
const lookupCounts = new TwoKeyMap((outcome, source) => ({ outcome, source, count: 0 }));

registerScrapeMetric('image_policy_digest_lookups_total', 'Digest lookups by outcome (ok, stale or error code) and source', 'counter', () =>
  lookupCounts.values().map(({ outcome, source, count }): MetricValue => ({ value: count, labels: { outcome, source } })),
);

export function recordLookup(outcome: string, source: string): void {
  lookupCounts.get(outcome, source).count++;
}

export const upstreamRequestsTotal = once(
  'image_policy_registry_requests_total',
  () => new Counter({ name: 'image_policy_registry_requests_total', help: 'HTTP requests sent to registries and token realms, by registry, method and status', labelNames: ['registry', 'method', 'status'] }),
);

const cacheReads = { hit: 0, stale: 0, miss: 0 };

registerScrapeMetric('image_policy_digest_cache_requests_total', 'Digest cache reads by result (hit, stale, miss)', 'counter', () =>
  (Object.keys(cacheReads) as (keyof typeof cacheReads)[]).filter((result) => cacheReads[result] > 0).map((result) => ({ value: cacheReads[result], labels: { result } })),
);

/** Sources of the cache-size gauge: each live DigestService registers its cache. */
const sizeSources = new Set<() => { refs: number; content: number }>();

export const cacheEntries = once(
  'image_policy_digest_cache_entries',
  () =>
    new Gauge({
      name: 'image_policy_digest_cache_entries',
      help: 'Entries in the local digest cache, by tier (refs: tag → digest; content: digest-keyed data)',
      labelNames: ['tier'],
      collect() {
        let refs = 0;
        let content = 0;
        for (const source of sizeSources) {
          const s = source();
          refs += s.refs;
          content += s.content;
        }
        this.set({ tier: 'refs' }, refs);
        this.set({ tier: 'content' }, content);
      },
    }),
);

let hits = 0;
let lookups = 0;

export const cacheHitRatio = once(
  'image_policy_digest_cache_hit_ratio',
  () =>
    new Gauge({
      name: 'image_policy_digest_cache_hit_ratio',
      help: 'Share of digest lookups answered from the cache since start',
      collect() {
        this.set(lookups === 0 ? 0 : hits / lookups);
      },
    }),
);

export function trackCacheSize(source: () => { refs: number; content: number }): () => void {
  sizeSources.add(source);
  return () => sizeSources.delete(source);
}

export function recordCacheRead(result: 'hit' | 'stale' | 'miss'): void {
  cacheReads[result]++;
  lookups++;
  if (result === 'hit') hits++;
}

const MAX_REGISTRY_LABELS = 50;
const registryLabels = new Set<string>();

/** The registry label: its origin for the first 50 seen, then `other` (bounded cardinality). */
export function registryLabel(origin: string): string {
  if (registryLabels.has(origin)) return origin;
  if (registryLabels.size >= MAX_REGISTRY_LABELS) return 'other';
  registryLabels.add(origin);
  return origin;
}

export function recordUpstream(registry: string, method: string, status: string): void {
  upstreamRequestsTotal.inc({ registry: registryLabel(registry), method, status });
}

/**
 * The digest lookup's speed and failure figures (issue 3), against a real registry and Redis started
 * here on loopback, like the tests do.
 */
import { join } from 'node:path';
import { startProxy } from '../test/support/proxy.js';
import { startRedis, TEST_CACHE_KEY_SECRET } from '../test/support/redis-server.js';
import { RegistryPusher } from '../test/support/registry-push.js';
import { startRegistry } from '../test/support/registry-server.js';
import { compare, DIST_ROOT, fmt, line, load, percent, ratio, startServer } from './support.js';

const MAIN = join(DIST_ROOT, 'src', 'main.js');

export async function benchDigests(durationSeconds: number): Promise<void> {
  const registry = await startRegistry();
  const proxy = await startProxy(registry.port); // counts the manifest requests that reach the registry
  const push = new RegistryPusher(registry.url);
  const env = { LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info', REGISTRY_PLAIN_HTTP: proxy.host, DIGEST_CACHE_TTL_SECONDS: '2' };
  const service = await startServer(MAIN, env);
  try {
    // Cached lookups through REST against a bare Fastify route answering the same JSON. A service of its own,
    // whose TTL outlasts the measurement: every request measured is a cached lookup (the one below expires fast).
    await push.pushImage('bench/app', 'v1');
    const path = `/v1/digests?image=${encodeURIComponent(`${proxy.host}/bench/app:v1`)}`;
    const cachedService = await startServer(MAIN, { ...env, DIGEST_CACHE_TTL_SECONDS: '600' });
    await fetch(cachedService.url + path); // looked up at the registry and cached
    const cachedAnswer = await (await fetch(cachedService.url + path)).text();
    const bare = await startServer(join(DIST_ROOT, 'bench', 'bare-fastify.js'), { BENCH_DIGEST_ANSWER: cachedAnswer });
    try {
      const bareAnswer = await (await fetch(bare.url + path)).text();
      if (bareAnswer !== cachedAnswer) throw new Error(`bare route answers differently:\n${cachedAnswer}\n${bareAnswer}`);
      await load({ url: cachedService.url + path, durationSeconds: 2 });
      await load({ url: bare.url + path, durationSeconds: 2 });
      const [bareResult, cached] = await compare([{ url: bare.url + path }, { url: cachedService.url + path }], durationSeconds);
      const cachedRatio = ratio(cached, bareResult);
      line('digests: bare Fastify, requests/s', `${fmt(bareResult.requestsPerSecond)}`);
      line('digests: cached GET /v1/digests, requests/s', `${fmt(cached.requestsPerSecond)} (p99 ${cached.latencyP99Ms} ms, non-2xx ${cached.non2xx})`);
      line('digests: cached ratio to bare Fastify (target >= 60 %)', `${percent(cachedRatio)} ${cachedRatio >= 0.6 ? 'PASS' : 'FAIL'}`);
    } finally {
      await Promise.all([bare.stop(), cachedService.stop()]);
    }

    // Coalescing: 1 000 concurrent requests for one uncached tag.
    await push.pushImage('bench/coalesce', 'v1');
    const before = proxy.manifestRequests().length;
    const coalescePath = `/v1/digests?image=${encodeURIComponent(`${proxy.host}/bench/coalesce:v1`)}`;
    const statuses = await Promise.all(Array.from({ length: 1_000 }, async () => (await fetch(service.url + coalescePath)).status));
    const upstream = proxy.manifestRequests().length - before;
    line('digests: 1 000 concurrent uncached requests, upstream requests', `${upstream} (all 200: ${statuses.every((s) => s === 200)}) ${upstream === 1 ? 'PASS' : 'FAIL'}`);

    // Registry down: cached tags answer stale, uncached ones fail fast.
    await push.pushImage('bench/other', 'v1');
    await fetch(service.url + path); // cached now; it expires (TTL 2 s) while the registry is down
    await registry.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const cachedDown = await fetch(service.url + path);
    const cachedBody = (await cachedDown.json()) as { stale?: boolean };
    const started = performance.now();
    const uncached = await fetch(`${service.url}/v1/digests?image=${encodeURIComponent(`${proxy.host}/bench/other:v1`)}`);
    const uncachedMs = performance.now() - started;
    const uncachedBody = (await uncached.json()) as { error?: { code: string } };
    line('digests: registry down, expired cached tag (stale answer)', `${cachedDown.status} stale=${String(cachedBody.stale)} ${cachedDown.status === 200 && cachedBody.stale === true ? 'PASS' : 'FAIL'}`);
    line('digests: registry down, uncached tag (target < 1 000 ms)', `${uncached.status} ${uncachedBody.error?.code} in ${Math.round(uncachedMs)} ms ${uncachedMs < 1_000 && uncachedBody.error?.code === 'RegistryUnavailable' ? 'PASS' : 'FAIL'}`);
    await registry.start();
  } finally {
    await service.stop();
  }

  // Two replicas sharing Redis: one upstream request per tag per TTL, not one per replica.
  const redis = await startRedis();
  const replicaEnv = { ...env, REDIS_URL: redis.url, CACHE_KEY_SECRET: TEST_CACHE_KEY_SECRET };
  const replicas = [await startServer(MAIN, replicaEnv), await startServer(MAIN, replicaEnv)];
  try {
    await push.pushImage('bench/shared', 'v1');
    const before = proxy.manifestRequests().length;
    const sharedPath = `/v1/digests?image=${encodeURIComponent(`${proxy.host}/bench/shared:v1`)}`;
    await Promise.all(replicas.flatMap((replica) => Array.from({ length: 200 }, () => fetch(replica.url + sharedPath).then((r) => r.arrayBuffer()))));
    const upstream = proxy.manifestRequests().length - before;
    line('digests: two replicas sharing Redis, 400 requests, upstream', `${upstream} ${upstream === 1 ? 'PASS' : 'FAIL'}`);
  } finally {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await redis.dispose();
    await proxy.close();
    await registry.dispose();
  }
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestService } from '../src/registry/digest.service.js';
import { digestService } from './support/digest-service.js';
import { testClock } from './support/clock.js';
import { waitFor } from './support/net.js';
import { startProxy, type TestProxy } from './support/proxy.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RedisServer, startRedis, TEST_CACHE_KEY_SECRET } from './support/redis-server.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

let registry: RegistryServer;
let proxy: TestProxy;
let redis: RedisServer;
let push: RegistryPusher;
let replicaA: DigestService;
let replicaB: DigestService;
/** Both replicas' clock: the TTL passes when the test says so, never while a burst is still running. */
const clock = testClock();
const TTL_MS = 60_000;

beforeAll(async () => {
  [registry, redis] = await Promise.all([startRegistry(), startRedis()]);
  proxy = await startProxy(registry.port, { delayMs: 20 });
  push = new RegistryPusher(registry.url);
  const env = { REGISTRY_PLAIN_HTTP: proxy.host, REDIS_URL: redis.url, CACHE_KEY_SECRET: TEST_CACHE_KEY_SECRET, DIGEST_CACHE_TTL_SECONDS: String(TTL_MS / 1000), DIGEST_STALE_IF_ERROR_SECONDS: '600' };
  replicaA = digestService(env, { redisPrefix: 'test:', now: clock.now });
  replicaB = digestService(env, { redisPrefix: 'test:', now: clock.now });
  await waitFor(async () => replicaA.health().sharedAvailable && replicaB.health().sharedAvailable, 15_000, 'redis clients');
});
afterAll(async () => {
  await replicaA?.close();
  await replicaB?.close();
  await proxy?.close();
  await Promise.all([registry?.dispose(), redis?.dispose()]);
});

describe('two replicas sharing one Redis', () => {
  it('make one upstream request per TTL, not one per replica', async () => {
    const pushed = await push.pushImage('shared/app', 'v1');
    const image = `${proxy.host}/shared/app:v1`;
    const burst = () => Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? replicaA : replicaB).resolve(image)));
    const first = await burst();
    expect(new Set(first.map((a) => a.digest))).toEqual(new Set([pushed.digest]));
    expect(proxy.manifestRequests()).toHaveLength(1);
    // Both replicas answer from the shared cache for the rest of the TTL.
    await burst();
    expect(proxy.manifestRequests()).toHaveLength(1);
    clock.advance(TTL_MS);
    // Next TTL: again exactly one request for both replicas together.
    await burst();
    expect(proxy.manifestRequests()).toHaveLength(2);
  });

  it('a replica that never looked up a tag answers it stale from Redis while the registry is down', async () => {
    const pushed = await push.pushImage('shared/stale', 'v1');
    await replicaA.resolve(`${proxy.host}/shared/stale:v1`);
    await registry.stop();
    try {
      clock.advance(TTL_MS);
      expect(await replicaB.resolve(`${proxy.host}/shared/stale:v1`)).toMatchObject({ digest: pushed.digest, stale: true, source: 'cache' });
    } finally {
      await registry.start();
    }
  });
});

describe('a Redis outage', () => {
  it('falls back to the local cache, reports it through health, and recovers', async () => {
    const pushed = await push.pushImage('shared/outage', 'v1');
    const image = `${proxy.host}/shared/outage:v1`;
    await replicaA.resolve(image);
    await redis.stop();
    try {
      await waitFor(async () => !replicaA.health().sharedAvailable, 15_000, 'redis outage detection');
      expect(replicaA.health()).toMatchObject({ backend: 'redis', sharedAvailable: false });
      // Cached locally: answered without Redis.
      expect(await replicaA.resolve(image)).toMatchObject({ digest: pushed.digest, source: 'cache' });
      // Not cached locally: resolved at the registry, never failing because Redis is gone (and never waiting
      // for it: a lookup that waited for Redis to come back would cross this bound; the work itself takes ms).
      const started = Date.now();
      expect(await replicaB.resolve(image)).toMatchObject({ digest: pushed.digest, source: 'registry' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await redis.start();
    }
    await waitFor(async () => replicaA.health().sharedAvailable && replicaB.health().sharedAvailable, 20_000, 'redis reconnect');
  });
});

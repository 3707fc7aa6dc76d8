import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestService } from '../src/registry/digest.service.js';
import { digestService } from './support/digest-service.js';
import { testClock } from './support/clock.js';
import { startProxy, type TestProxy } from './support/proxy.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';
import { apiErrorOf } from './support/api-error.js';


let registry: RegistryServer;
let push: RegistryPusher;

beforeAll(async () => {
  registry = await startRegistry();
  push = new RegistryPusher(registry.url);
});
afterAll(async () => registry?.dispose());

describe('coalescing', () => {
  let proxy: TestProxy;
  let service: DigestService;
  beforeAll(async () => {
    // A little latency makes all 1000 callers arrive while the one upstream request is in flight.
    proxy = await startProxy(registry.port, { delayMs: 50 });
    service = digestService({ REGISTRY_PLAIN_HTTP: proxy.host, DIGEST_CACHE_TTL_SECONDS: '60' });
  });
  afterAll(async () => {
    await service?.close();
    await proxy?.close();
  });

  it('1000 concurrent lookups of one uncached tag make exactly one upstream manifest request', async () => {
    const pushed = await push.pushImage('load/app', 'v1');
    const answers = await Promise.all(Array.from({ length: 1000 }, () => service.resolve(`${proxy.host}/load/app:v1`)));
    expect(new Set(answers.map((a) => a.digest))).toEqual(new Set([pushed.digest]));
    expect(proxy.manifestRequests()).toHaveLength(1);
    expect(proxy.manifestRequests('HEAD')).toHaveLength(1);
  });

  it('a caller giving up does not cancel the shared lookup', async () => {
    const pushed = await push.pushImage('load/cancel', 'v1');
    const before = proxy.manifestRequests().length;
    const controller = new AbortController();
    const impatient = service.resolve(`${proxy.host}/load/cancel:v1`, { signal: controller.signal });
    const patient = service.resolve(`${proxy.host}/load/cancel:v1`);
    controller.abort(new Error('caller went away'));
    await expect(impatient).rejects.toThrow('caller went away');
    expect((await patient).digest).toBe(pushed.digest);
    // The shared lookup completed and filled the cache: no second upstream request.
    expect((await service.resolve(`${proxy.host}/load/cancel:v1`)).source).toBe('cache');
    expect(proxy.manifestRequests().length - before).toBe(1);
  });
});

describe('the registry stopped mid-test', () => {
  let service: DigestService;
  /** The service's clock: the TTL passes when the test says so, not while the registry is being stopped. */
  const clock = testClock();
  const TTL_MS = 60_000;
  beforeAll(async () => {
    // A long REGISTRY_TIMEOUT_MS: failing "fast" below means failing without waiting for it.
    service = digestService(
      { REGISTRY_PLAIN_HTTP: registry.host, DIGEST_CACHE_TTL_SECONDS: String(TTL_MS / 1000), DIGEST_STALE_IF_ERROR_SECONDS: '600', REGISTRY_TIMEOUT_MS: '30000' },
      { now: clock.now },
    );
  });
  afterAll(async () => service?.close());

  it('answers cached tags stale and fails uncached ones fast with RegistryUnavailable', async () => {
    const a = await push.pushImage('outage/a', 'v1');
    const b = await push.pushImage('outage/b', 'v1');
    await push.pushImage('outage/uncached', 'v1');
    expect((await service.resolve(`${registry.host}/outage/a:v1`)).digest).toBe(a.digest);
    expect((await service.resolve(`${registry.host}/outage/b:v1`)).digest).toBe(b.digest);
    await registry.stop();
    try {
      // Within the TTL: fresh from the cache, as always.
      expect(await service.resolve(`${registry.host}/outage/a:v1`)).toMatchObject({ digest: a.digest, stale: false, source: 'cache' });
      clock.advance(TTL_MS);
      const staleA = await service.resolve(`${registry.host}/outage/a:v1`);
      expect(staleA).toMatchObject({ digest: a.digest, stale: true, source: 'cache' });
      expect(Date.parse(staleA.expiresAt)).toBeLessThan(clock.now());
      const started = Date.now();
      const err = await apiErrorOf(service.resolve(`${registry.host}/outage/uncached:v1`));
      expect(Date.now() - started).toBeLessThan(10_000); // refused at once; waiting out REGISTRY_TIMEOUT_MS would take 30 s
      expect(err.code).toBe('RegistryUnavailable');
      expect(err.status).toBe(503);
      // Many more failures open the circuit: the registry is not asked (the open circuit's own error says so);
      // cached tags are still answered stale.
      for (let i = 0; i < 6; i++) await apiErrorOf(service.resolve(`${registry.host}/outage/uncached:v1`));
      expect(await service.resolve(`${registry.host}/outage/b:v1`)).toMatchObject({ digest: b.digest, stale: true });
      const open = await apiErrorOf(service.resolve(`${registry.host}/outage/uncached:v1`));
      expect(open.message).toContain('not asked again');
    } finally {
      await registry.start();
    }
  });
});

describe('rate limits, server errors and timeouts', () => {
  let proxy: TestProxy;
  let service: DigestService;
  beforeAll(async () => {
    proxy = await startProxy(registry.port);
    service = digestService({ REGISTRY_PLAIN_HTTP: proxy.host, DIGEST_CACHE_TTL_SECONDS: '1', REGISTRY_TIMEOUT_MS: '400' });
  });
  afterAll(async () => {
    await service?.close();
    await proxy?.close();
  });

  it('429 with Retry-After is RegistryRateLimited and pauses the registry for that long', async () => {
    await push.pushImage('limits/app', 'v1');
    proxy.options.intercept = () => ({ status: 429, headers: { 'retry-after': '7' } });
    try {
      const before = proxy.requests.length;
      const err = await apiErrorOf(service.resolve(`${proxy.host}/limits/app:v1`));
      expect(err).toMatchObject({ code: 'RegistryRateLimited', retryAfterSeconds: 7 });
      expect(err.status).toBe(503);
      const again = await apiErrorOf(service.resolve(`${proxy.host}/limits/other:v1`));
      expect(again.code).toBe('RegistryRateLimited');
      // One request only: the pause keeps us from hammering a registry that asked us to wait.
      expect(proxy.requests.length - before).toBe(1);
    } finally {
      proxy.options.intercept = undefined;
    }
  });

  it('retries 503 a bounded number of times', async () => {
    const other = await startProxy(registry.port, { intercept: () => ({ status: 503 }) });
    const fresh = digestService({ REGISTRY_PLAIN_HTTP: other.host, REGISTRY_TIMEOUT_MS: '2000' });
    try {
      const err = await apiErrorOf(fresh.resolve(`${other.host}/limits/app:v1`));
      expect(err.code).toBe('RegistryUnavailable');
      expect(other.requests).toHaveLength(3);
    } finally {
      await fresh.close();
      await other.close();
    }
  });

  it('a registry slower than REGISTRY_TIMEOUT_MS is RegistryTimeout', async () => {
    // A registry that does not answer within the test (the proxy drops the delayed forward at close).
    const slow = await startProxy(registry.port, { delayMs: 60_000 });
    const fresh = digestService({ REGISTRY_PLAIN_HTTP: slow.host, REGISTRY_TIMEOUT_MS: '300' });
    try {
      const started = Date.now();
      const err = await apiErrorOf(fresh.resolve(`${slow.host}/limits/app:v1`));
      expect(err.code).toBe('RegistryTimeout');
      expect(err.status).toBe(504);
      expect(Date.now() - started).toBeLessThan(10_000); // the 300 ms timeout ended the wait, not the registry (60 s)
    } finally {
      await fresh.close();
      await slow.close();
    }
  });
});

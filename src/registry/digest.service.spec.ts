import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode, ErrorReason } from '../common/errors.js';
import { type IdentityKey, Keyring, parseDockerConfig, randomIdentityKey } from '../common/docker-credentials.js';
import type { LockResult } from './digest-cache.js';
import { DigestService } from './digest.service.js';
import { EgressPolicy } from './egress-guard.js';
import { MemoryDigestCache } from './memory-digest-cache.js';
import type { ManifestDescriptor, RegistryClient, RepositoryTarget } from './registry-client.js';
import { plainHttpSet } from './registry-endpoint.js';
import { apiErrorOf } from '../../test/support/api-error.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const OCI = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';

/** A registry client port implementation driven by the test (no network). */
class FakeRegistry implements RegistryClient {
  calls: { reference: string; identities: string[] }[] = [];
  manifestFetches = 0;
  answer: ManifestDescriptor | ApiError = { digest: D1, mediaType: OCI };
  delayMs = 0;

  async resolve(_t: RepositoryTarget, reference: string, credentials: readonly { identity: string }[]): Promise<ManifestDescriptor> {
    this.calls.push({ reference, identities: credentials.map((c) => c.identity) });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.answer instanceof ApiError) throw this.answer;
    return this.answer;
  }
  async fetchManifest(): Promise<{ mediaType: string; body: Buffer }> {
    this.manifestFetches++;
    const index = { manifests: [{ digest: D2, mediaType: OCI, platform: { os: 'linux', architecture: 'arm64' } }] };
    return { mediaType: INDEX, body: Buffer.from(JSON.stringify(index)) };
  }
  async fetchBlob(): Promise<Buffer> {
    return Buffer.from('{}');
  }
  async close(): Promise<void> {}
}

const KEY = randomIdentityKey();

function setup(options: { cache?: MemoryDigestCache; keyring?: Keyring; identityKey?: IdentityKey } = {}) {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const registry = new FakeRegistry();
  const cache = options.cache ?? new MemoryDigestCache({ now: clock.now });
  const service = new DigestService({
    cache,
    client: registry,
    nodeKeyring: options.keyring ?? new Keyring([]),
    identityKey: options.identityKey ?? KEY,
    policy: new EgressPolicy([]),
    plainHttp: plainHttpSet([]),
    ttlSeconds: 60,
    staleIfErrorSeconds: 300,
    timeoutMs: 1_000,
    now: clock.now,
  });
  return { clock, registry, cache, service };
}


describe('DigestService', () => {
  it('answers from the registry, then from the cache until the TTL passes', async () => {
    const { clock, registry, service } = setup();
    const first = await service.resolve('reg.example/app:v1');
    expect(first).toMatchObject({ image: 'reg.example/app:v1', reference: 'reg.example/app:v1', digest: D1, source: 'registry', stale: false });
    expect(Date.parse(first.expiresAt) - Date.parse(first.resolvedAt)).toBe(60_000);
    clock.advance(59_999);
    expect(await service.resolve('reg.example/app:v1')).toMatchObject({ source: 'cache' });
    clock.advance(1);
    expect(await service.resolve('reg.example/app:v1')).toMatchObject({ source: 'registry' });
    expect(registry.calls).toHaveLength(2);
  });

  it('cachedAnswer: the same answer as a cached resolve, without a promise, only while the entry is fresh', async () => {
    const { clock, registry, service } = setup();
    expect(service.cachedAnswer('reg.example/app:v1')).toBeUndefined(); // nothing cached yet
    await service.resolve('reg.example/app:v1');
    clock.advance(1_000);
    const cached = service.cachedAnswer('reg.example/app:v1');
    expect(cached).toEqual(await service.resolve('reg.example/app:v1'));
    expect(cached).toMatchObject({ source: 'cache', stale: false, digest: D1 });
    expect(service.cachedAnswer('reg.example/other:v1')).toBeUndefined();
    expect(service.cachedAnswer('Not A Reference')).toBeUndefined(); // resolve gives the error
    clock.advance(59_000); // expired: only resolve may answer (stale or fresh)
    expect(service.cachedAnswer('reg.example/app:v1')).toBeUndefined();
    registry.answer = new ApiError(ErrorCode.ManifestUnknown, 'gone');
    await apiErrorOf(service.resolve('reg.example/app:v1'));
    expect(service.cachedAnswer('reg.example/app:v1')).toBeUndefined(); // a cached negative answer is resolve's to throw
    expect(registry.calls).toHaveLength(2);
  });

  it('cachedAnswer: the same frozen answer for a repeated question, until the cache holds another record', async () => {
    const { clock, registry, cache, service } = setup();
    await service.resolve('reg.example/app:v1');
    const first = service.cachedAnswer('reg.example/app:v1');
    expect(Object.isFrozen(first)).toBe(true);
    expect(service.cachedAnswer('reg.example/app:v1')).toBe(first);
    expect(service.cachedAnswer('reg.example/app:v1@' + D2)).toBeUndefined(); // another question, not cached
    // A peer replica (or a refresh) stores a new record for the key: the next answer follows it at once.
    const key = 'anonymous|reg.example/app:v1';
    const stored = cache.peekRef(key);
    expect(stored).toMatchObject({ digest: D1 }); // the key this test writes is the service's own
    await cache.setRef(key, { kind: 'digest', digest: D2, mediaType: OCI, resolvedAt: clock.now(), expiresAt: clock.now() + 60_000, staleUntil: clock.now() + 360_000 }, clock.now() + 360_000);
    const moved = service.cachedAnswer('reg.example/app:v1');
    expect(moved).toMatchObject({ digest: D2, source: 'cache', stale: false });
    expect(moved).not.toBe(first);
    clock.advance(60_000); // expired: the kept answer is not given out either
    expect(service.cachedAnswer('reg.example/app:v1')).toBeUndefined();
    expect(registry.calls).toHaveLength(1);
  });

  it('answers stale within the stale window when the registry fails transiently, then gives up', async () => {
    const { clock, registry, service } = setup();
    await service.resolve('reg.example/app:v1');
    registry.answer = new ApiError(ErrorCode.RegistryUnavailable, 'down');
    clock.advance(60_000 + 299_999);
    expect(await service.resolve('reg.example/app:v1')).toMatchObject({ digest: D1, stale: true, source: 'cache' });
    clock.advance(1);
    expect((await apiErrorOf(service.resolve('reg.example/app:v1'))).code).toBe('RegistryUnavailable');
  });

  it.each([ErrorCode.RegistryRateLimited, ErrorCode.RegistryTimeout])('%s is answered stale too', async (code) => {
    const { clock, registry, service } = setup();
    await service.resolve('reg.example/app:v1');
    registry.answer = new ApiError(code, 'x');
    clock.advance(61_000);
    expect(await service.resolve('reg.example/app:v1')).toMatchObject({ stale: true });
  });

  it('caches definite negative answers briefly and never transient ones', async () => {
    const { clock, registry, service } = setup();
    registry.answer = new ApiError(ErrorCode.ManifestUnknown, 'not found');
    await apiErrorOf(service.resolve('reg.example/app:gone'));
    await apiErrorOf(service.resolve('reg.example/app:gone'));
    expect(registry.calls).toHaveLength(1);
    clock.advance(10_000);
    registry.answer = { digest: D1, mediaType: OCI };
    expect((await service.resolve('reg.example/app:gone')).digest).toBe(D1);

    registry.answer = new ApiError(ErrorCode.RegistryUnavailable, 'down');
    await apiErrorOf(service.resolve('reg.example/app:flaky'));
    await apiErrorOf(service.resolve('reg.example/app:flaky'));
    expect(registry.calls.filter((c) => c.reference === 'flaky')).toHaveLength(2);
  });

  it('a definite 404 replaces a stale answer (the tag is gone, not the registry)', async () => {
    const { clock, registry, service } = setup();
    await service.resolve('reg.example/app:v1');
    clock.advance(61_000);
    registry.answer = new ApiError(ErrorCode.ManifestUnknown, 'gone');
    expect((await apiErrorOf(service.resolve('reg.example/app:v1'))).code).toBe('ManifestUnknown');
    registry.answer = new ApiError(ErrorCode.RegistryUnavailable, 'down');
    clock.advance(11_000);
    expect((await apiErrorOf(service.resolve('reg.example/app:v1'))).code).toBe('RegistryUnavailable');
  });

  it('scopes cache entries by credential identity', async () => {
    const node = new Keyring([parseDockerConfig({ auths: { 'reg.example': { username: 'u', password: 'p' } } }, 't', KEY)]);
    const { registry, service } = setup({ keyring: node });
    await service.resolve('reg.example/app:v1');
    await service.resolve('reg.example/app:v1', { pullSecrets: [{ dockerconfigjson: JSON.stringify({ auths: { 'reg.example': { username: 'x', password: 'y' } } }) }] });
    await service.resolve('other.example/app:v1');
    expect(registry.calls).toHaveLength(3);
    expect(registry.calls[0].identities).toHaveLength(1);
    expect(registry.calls[1].identities).toHaveLength(2); // secret first, then node credentials
    expect(registry.calls[2].identities).toEqual([]);
  });

  it('shares credentialed answers through a shared cache only between services with the same identity key', async () => {
    const secret = { dockerconfigjson: JSON.stringify({ auths: { 'reg.example': { username: 'u', password: 'p' } } }) };
    const first = setup();
    await first.service.resolve('reg.example/app:v1', { pullSecrets: [secret] });
    const sameKey = setup({ cache: first.cache });
    expect(await sameKey.service.resolve('reg.example/app:v1', { pullSecrets: [secret] })).toMatchObject({ source: 'cache' });
    expect(sameKey.registry.calls).toHaveLength(0);
    const otherKey = setup({ cache: first.cache, identityKey: randomIdentityKey() });
    expect(await otherKey.service.resolve('reg.example/app:v1', { pullSecrets: [secret] })).toMatchObject({ source: 'registry' });
    expect(otherKey.registry.calls).toHaveLength(1);
  });

  it('coalesces concurrent lookups and re-checks the cache after joining', async () => {
    const { registry, service } = setup();
    registry.delayMs = 10;
    const answers = await Promise.all(Array.from({ length: 50 }, () => service.resolve('reg.example/app:v1')));
    expect(answers.every((a) => a.digest === D1)).toBe(true);
    expect(registry.calls).toHaveLength(1);
  });

  it('waits for another replica holding the lock instead of asking the registry too', async () => {
    let busy = 3;
    const { clock, registry, service, cache } = setup({
      cache: new (class extends MemoryDigestCache {
        override async lock(): Promise<LockResult> {
          if (busy-- > 0) {
            if (busy === 0) {
              // The peer finishes: its answer appears in the shared cache.
              const t = clock.now();
              await this.setRef('anonymous|reg.example/app:v1', { kind: 'digest', digest: D2, mediaType: OCI, resolvedAt: t, expiresAt: t + 60_000, staleUntil: t + 360_000 }, t + 360_000);
            }
            return { state: 'busy' };
          }
          return { state: 'none' };
        }
      })({ now: () => clock.now() }),
    });
    expect(cache).toBeDefined();
    expect(await service.resolve('reg.example/app:v1')).toMatchObject({ digest: D2, source: 'cache' });
    expect(registry.calls).toHaveLength(0);
  });

  it('reads the cache again once it holds the lock: a peer may have answered and released it just before', async () => {
    const { clock, registry, service } = setup({
      cache: new (class extends MemoryDigestCache {
        override async lock(): Promise<LockResult> {
          // The peer stored its answer and released the lock after our first read: we get the lock at once.
          const t = clock.now();
          await this.setRef('anonymous|reg.example/app:v1', { kind: 'digest', digest: D2, mediaType: OCI, resolvedAt: t, expiresAt: t + 60_000, staleUntil: t + 360_000 }, t + 360_000);
          return { state: 'acquired', release: async () => undefined };
        }
      })({ now: () => clock.now() }),
    });
    expect(await service.resolve('reg.example/app:v1')).toMatchObject({ digest: D2, source: 'cache' });
    expect(registry.calls).toHaveLength(0);
  });

  it('digest references keep their digest; platforms come from the index, cached by digest', async () => {
    const { clock, registry, service } = setup();
    registry.answer = { digest: D1, mediaType: INDEX };
    const byDigest = await service.resolve(`reg.example/app@${D1}`, { platform: 'linux/arm64' });
    expect(byDigest).toMatchObject({ digest: D1, reference: `reg.example/app@${D1}`, platform: { platform: 'linux/arm64', digest: D2, mediaType: OCI } });
    clock.advance(120_000);
    await service.resolve('reg.example/app:v1', { platform: 'linux/arm64' });
    expect(registry.manifestFetches).toBe(1);
    expect((await apiErrorOf(service.resolve('reg.example/app:v1', { platform: 'linux/amd64' }))).code).toBe('ManifestUnknown');
  });

  // Issue 12, item 6: callers branch on the typed reason, so it is set where the error is raised and kept by the negative cache.
  it('a missing platform and a missing manifest carry their typed reasons, also when the 404 comes from the negative cache', async () => {
    const { registry, service } = setup();
    registry.answer = { digest: D1, mediaType: INDEX };
    expect(await apiErrorOf(service.resolve('reg.example/platform-api:v1', { platform: 'linux/amd64' }))).toMatchObject({ code: 'ManifestUnknown', reason: ErrorReason.PlatformMissing });
    registry.answer = new ApiError(ErrorCode.ManifestUnknown, 'reg.example/platform-api:v2 not found', undefined, ErrorReason.ManifestUnknown);
    for (let i = 0; i < 2; i++) {
      expect(await apiErrorOf(service.resolve('reg.example/platform-api:v2', { platform: 'linux/amd64' }))).toMatchObject({ code: 'ManifestUnknown', reason: ErrorReason.ManifestUnknown });
    }
    expect(registry.calls.filter((c) => c.reference === 'v2')).toHaveLength(1);
  });

  it('resolveMany answers in input order with per-image errors', async () => {
    const { service } = setup();
    const results = await service.resolveMany(['reg.example/a:v1', 'Bad', '127.0.0.1:5000/x:y', 'reg.example/b:v1']);
    expect(results.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['ok', 'InvalidReference', 'RegistryNotAllowed', 'ok']);
    expect(results[1]).toMatchObject({ ok: false, input: 'Bad' });
    await expect(service.resolveMany(['a'], { platform: 'nope' })).rejects.toMatchObject({ code: 'InvalidRequest' });
  });

  it('the memory cache drops expired answers as new ones come in, not only at its size bound', () => {
    let now = 0;
    const cache = new MemoryDigestCache({ maxRefs: 50_000, now: () => now });
    const record = { digest: `sha256:${'1'.repeat(64)}` } as unknown as Parameters<MemoryDigestCache['putRef']>[1];
    for (let i = 0; i < 1_000; i++) cache.putRef(`short-${i}`, record, now + 1_000); // e.g. brief negative answers
    expect(cache.sizes().refs).toBe(1_000);
    now += 2_000;
    for (let i = 0; i < 1_000; i++) cache.putRef(`long-${i}`, record, now + 60_000);
    expect(cache.sizes().refs).toBe(1_000); // the 1 000 expired ones were swept while the new ones went in
    expect(cache.peekRef('long-999')).toBe(record);
  });
});

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestService } from '../src/registry/digest.service.js';
import { digestService } from './support/digest-service.js';
import { testClock } from './support/clock.js';
import { onPath } from './support/executable.js';
import { startProxy, type TestProxy } from './support/proxy.js';
import { DOCKER_LIST, OCI_INDEX, OCI_MANIFEST, RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';
import { apiErrorOf } from './support/api-error.js';

let registry: RegistryServer;
let push: RegistryPusher;
let service: DigestService;
/** The service's clock: the TTL passes when the test says so, never while a slow step runs. */
const clock = testClock();
const TTL_MS = 60_000;

beforeAll(async () => {
  registry = await startRegistry();
  push = new RegistryPusher(registry.url);
  service = digestService({ REGISTRY_PLAIN_HTTP: registry.host, DIGEST_CACHE_TTL_SECONDS: String(TTL_MS / 1000), REGISTRY_TIMEOUT_MS: '2000' }, { now: clock.now });
});
afterAll(async () => {
  await service?.close();
  await registry?.dispose();
});


describe('digest lookup against a real registry', () => {
  it('answers the digest the registry reports for a single-platform image', async () => {
    const pushed = await push.pushImage('team/app', 'v1');
    const reported = await push.headDigest('team/app', 'v1');
    const answer = await service.resolve(`${registry.host}/team/app:v1`);
    expect(answer).toMatchObject({
      image: `${registry.host}/team/app:v1`,
      reference: `${registry.host}/team/app:v1`,
      digest: pushed.digest,
      mediaType: OCI_MANIFEST,
      platform: null,
      source: 'registry',
      stale: false,
    });
    expect(answer.digest).toBe(reported.digest);
    expect(Date.parse(answer.expiresAt) - Date.parse(answer.resolvedAt)).toBe(TTL_MS);
    const again = await service.resolve(`${registry.host}/team/app:v1`);
    expect(again).toMatchObject({ digest: pushed.digest, source: 'cache', stale: false });
  });

  // skopeo (Debian package) is installed by scripts/ensure-test-servers.sh; without it on PATH this test fails.
  it('agrees with skopeo inspect', async () => {
    const skopeo = onPath('skopeo');
    const { descriptor } = await push.pushIndex('team/multi-skopeo', 'v1', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    const { stdout } = await promisify(execFile)(skopeo, ['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/team/multi-skopeo:v1`]);
    const { stdout: inspected } = await promisify(execFile)(skopeo, [
      'inspect', '--tls-verify=false', '--override-os', 'linux', '--override-arch', 'arm64', `docker://${registry.host}/team/multi-skopeo:v1`,
    ]);
    const answer = await service.resolve(`${registry.host}/team/multi-skopeo:v1`, { platform: 'linux/arm64' });
    // skopeo's Digest is the digest of what the tag names (the index) …
    expect(answer.digest).toBe(JSON.parse(inspected).Digest);
    expect(answer.digest).toBe(descriptor.digest);
    // … and its raw index lists the arm64 manifest we chose.
    const entries = JSON.parse(stdout).manifests as { digest: string; platform: { architecture: string } }[];
    expect(answer.platform?.digest).toBe(entries.find((e) => e.platform.architecture === 'arm64')?.digest);
    // skopeo resolving the arm64 platform itself lands on the same manifest.
    const { stdout: platformRaw } = await promisify(execFile)(skopeo, [
      'inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/team/multi-skopeo@${answer.platform?.digest}`,
    ]);
    expect(JSON.parse(platformRaw).mediaType).toBe(OCI_MANIFEST);
  });

  it('selects the platform entry of an index and skips attestations', async () => {
    const { descriptor, children } = await push.pushIndex(
      'team/multi',
      'v1',
      [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
        { os: 'linux', architecture: 'arm', variant: 'v7' },
      ],
      { attestation: true },
    );
    const arm64 = await service.resolve(`${registry.host}/team/multi:v1`, { platform: 'linux/arm64' });
    expect(arm64.digest).toBe(descriptor.digest);
    expect(arm64.mediaType).toBe(OCI_INDEX);
    expect(arm64.platform).toEqual({ platform: 'linux/arm64/v8', digest: children[1].descriptor.digest, mediaType: OCI_MANIFEST });
    const amd64 = await service.resolve(`${registry.host}/team/multi:v1`, { platform: 'linux/amd64' });
    expect(amd64.platform?.digest).toBe(children[0].descriptor.digest);
    const arm = await service.resolve(`${registry.host}/team/multi:v1`, { platform: 'linux/arm/v7' });
    expect(arm.platform?.digest).toBe(children[2].descriptor.digest);
    const missing = await apiErrorOf(service.resolve(`${registry.host}/team/multi:v1`, { platform: 'linux/s390x' }));
    expect(missing.code).toBe('ManifestUnknown');
    expect(missing.message).toContain('linux/s390x');
    const unknown = await apiErrorOf(service.resolve(`${registry.host}/team/multi:v1`, { platform: 'unknown/unknown' }));
    expect(unknown.code).toBe('ManifestUnknown');
  });

  it('handles Docker manifest lists and single-platform images asked for a platform', async () => {
    const { descriptor, children } = await push.pushIndex('team/dockerlist', 'v1', [{ os: 'linux', architecture: 'amd64' }], { mediaType: DOCKER_LIST });
    const answer = await service.resolve(`${registry.host}/team/dockerlist:v1`, { platform: 'linux/amd64' });
    expect(answer).toMatchObject({ digest: descriptor.digest, mediaType: DOCKER_LIST });
    expect(answer.platform?.digest).toBe(children[0].descriptor.digest);

    const single = await push.pushImage('team/single', 'v1', { os: 'linux', architecture: 'arm64' });
    const ok = await service.resolve(`${registry.host}/team/single:v1`, { platform: 'linux/arm64/v8' });
    expect(ok.platform).toEqual({ platform: 'linux/arm64', digest: single.digest, mediaType: OCI_MANIFEST });
    const wrong = await apiErrorOf(service.resolve(`${registry.host}/team/single:v1`, { platform: 'linux/amd64' }));
    expect(wrong.code).toBe('ManifestUnknown');
  });

  it('answers digest references after proving they exist', async () => {
    const pushed = await push.pushImage('team/bydigest', 'v1');
    const answer = await service.resolve(`${registry.host}/team/bydigest@${pushed.digest}`);
    expect(answer).toMatchObject({ digest: pushed.digest, reference: `${registry.host}/team/bydigest@${pushed.digest}` });
    const absent = await apiErrorOf(service.resolve(`${registry.host}/team/bydigest@sha256:${'0'.repeat(64)}`));
    expect(absent.code).toBe('ManifestUnknown');
  });

  it('sees a moved tag after the TTL', async () => {
    const first = await push.pushImage('team/moving', 'latest');
    expect((await service.resolve(`${registry.host}/team/moving`)).digest).toBe(first.digest);
    const second = await push.pushImage('team/moving', 'latest');
    expect(second.digest).not.toBe(first.digest);
    // Within the TTL the cached answer stands (that is what the TTL promises) …
    expect(await service.resolve(`${registry.host}/team/moving:latest`)).toMatchObject({ digest: first.digest, source: 'cache' });
    clock.advance(TTL_MS);
    // … after it the registry is asked again and the new content is seen.
    expect(await service.resolve(`${registry.host}/team/moving:latest`)).toMatchObject({ digest: second.digest, source: 'registry' });
  });

  it('answers ManifestUnknown for an unknown tag and caches that briefly', async () => {
    const err = await apiErrorOf(service.resolve(`${registry.host}/team/none:v1`));
    expect(err.code).toBe('ManifestUnknown');
    expect(err.status).toBe(404);
  });

  it('rejects invalid references and platforms before any request', async () => {
    expect((await apiErrorOf(service.resolve('Nginx'))).code).toBe('InvalidReference');
    expect((await apiErrorOf(service.resolve('nginx', { platform: 'linux' }))).code).toBe('InvalidRequest');
  });
});

describe('a registry that omits Docker-Content-Digest', () => {
  let proxy: TestProxy;
  let viaProxy: DigestService;

  beforeAll(async () => {
    proxy = await startProxy(registry.port, { stripHeaders: ['docker-content-digest'] });
    viaProxy = digestService({ REGISTRY_PLAIN_HTTP: proxy.host });
  });
  afterAll(async () => {
    await viaProxy?.close();
    await proxy?.close();
  });

  it('falls back to GET and hashes the exact body bytes', async () => {
    const { descriptor, children } = await push.pushIndex('team/nodigest', 'v1', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64' },
    ]);
    const answer = await viaProxy.resolve(`${proxy.host}/team/nodigest:v1`, { platform: 'linux/arm64' });
    expect(answer.digest).toBe(descriptor.digest);
    expect(answer.platform?.digest).toBe(children[1].descriptor.digest);
    const manifestRequests = proxy.manifestRequests().map((r) => `${r.method} ${r.path}`);
    expect(manifestRequests).toEqual([
      'HEAD /v2/team/nodigest/manifests/v1',
      'GET /v2/team/nodigest/manifests/v1',
      `GET /v2/team/nodigest/manifests/${descriptor.digest}`,
    ]);
  });
});

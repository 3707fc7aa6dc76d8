/**
 * Pull decisions against a real registry (Debian docker-registry 2.8) through the real DigestService:
 * the tag moves, the registry stops, the image is missing, a private repository with and without the
 * right secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecisionService } from '../src/decision/decision.service.js';
import type { DigestService } from '../src/registry/digest.service.js';
import { digestService } from './support/digest-service.js';
import { testClock } from './support/clock.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const dockerConfig = (host: string, user: string, password: string): string =>
  JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString('base64') } } });

describe('decisions against a real registry', () => {
  let registry: RegistryServer;
  let push: RegistryPusher;
  let digests: DigestService;
  let decisions: DecisionService;
  /** The digest service's clock: the TTL passes when the test says so. */
  const clock = testClock();
  const TTL_MS = 60_000;

  beforeAll(async () => {
    registry = await startRegistry();
    push = new RegistryPusher(registry.url);
    digests = digestService({ REGISTRY_PLAIN_HTTP: registry.host, DIGEST_CACHE_TTL_SECONDS: String(TTL_MS / 1000), REGISTRY_TIMEOUT_MS: '2000' }, { now: clock.now });
    decisions = new DecisionService(digests);
  });
  afterAll(async () => {
    await digests?.close();
    await registry?.dispose();
  });

  it('follows the tag: the digest on the node is used, then the moved tag is pulled by its new digest', async () => {
    const image = `${registry.host}/team/web:v1`;
    const first = await push.pushImage('team/web', 'v1');
    const node = { images: [{ references: [image], digest: first.digest }] };
    expect(await decisions.decide({ image, imagePullPolicy: 'Always', node })).toMatchObject({
      action: 'UseLocal',
      reason: 'DigestPresent',
      resolvedDigest: first.digest,
      pullReference: `${registry.host}/team/web@${first.digest}`,
      registry: { consulted: true, source: 'lookup', status: 'ok' },
    });

    const second = await push.pushImage('team/web', 'v1');
    clock.advance(TTL_MS); // the tag's cache entry expires
    const moved = await decisions.decide({ image, imagePullPolicy: 'Always', node });
    expect(moved).toMatchObject({ action: 'Pull', reason: 'TagMoved', resolvedDigest: second.digest, localDigest: first.digest, pullReference: `${registry.host}/team/web@${second.digest}` });

    // IfNotPresent keeps the old content on this node: the drift check says so.
    const kept = await decisions.decide({ image, node, detectDrift: true });
    expect(kept).toMatchObject({ action: 'UseLocal', reason: 'ImagePresent', localDigest: first.digest, resolvedDigest: second.digest });
    expect(kept.warnings.join('\n')).toContain('mixed versions');
  });

  it('a missing image is predicted as ErrImagePull', async () => {
    const decision = await decisions.decide({ image: `${registry.host}/team/none:v9` });
    expect(decision).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'notFound', error: { code: 'ManifestUnknown' } } });
    expect(decision.waiting?.message).toContain(`${registry.host}/team/none:v9: not found`);
  });

  // Issue 12, item 6: the registry's 404 is told from a missing platform by the error's typed reason, not by its
  // text, which contains the image name.
  it('a missing image whose name contains "platform" is notFound, not a missing platform (also from the negative cache)', async () => {
    const image = `${registry.host}/acme/platform-api:1`;
    for (let i = 0; i < 2; i++) {
      const decision = await decisions.decide({ image, node: { platform: 'linux/amd64' } });
      expect(decision).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'notFound', error: { code: 'ManifestUnknown' } } });
      expect(decision.waiting?.message).toContain(`${image}: not found`);
      expect(decision.waiting?.message).not.toContain('no match for platform');
    }
  });

  it('an image without the node\'s platform is platformMissing, whatever its name', async () => {
    await push.pushIndex('acme/tool', 'v1', [{ os: 'linux', architecture: 'amd64' }]);
    const decision = await decisions.decide({ image: `${registry.host}/acme/tool:v1`, node: { platform: 'linux/s390x' } });
    expect(decision).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'platformMissing', error: { code: 'ManifestUnknown' } } });
    expect(decision.waiting?.message).toContain('no match for platform in manifest');
  });

  it('with the registry stopped, Always fails although the image is on the node; IfNotPresent uses it', async () => {
    const image = `${registry.host}/team/api:v1`;
    const pushed = await push.pushImage('team/api', 'v1');
    const node = { images: [{ references: [image], digest: pushed.digest }] };
    expect((await decisions.decide({ image, imagePullPolicy: 'Always', node })).action).toBe('UseLocal');
    await registry.stop();
    try {
      clock.advance(TTL_MS);
      const always = await decisions.decide({ image, imagePullPolicy: 'Always', node });
      expect(always).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'unavailable' } });
      expect(always.warnings.join('\n')).toContain('never falls back');
      expect(await decisions.decide({ image, node })).toMatchObject({ action: 'UseLocal', reason: 'ImagePresent' });
      expect(await decisions.decide({ image: `${registry.host}/team/other:v1` })).toMatchObject({ action: 'Fail', reason: 'ErrImagePull' });
    } finally {
      await registry.start();
    }
  });
});

describe('decisions for a private repository (htpasswd)', () => {
  let registry: RegistryServer;
  let digests: DigestService;
  let decisions: DecisionService;
  let pushed: { digest: string };

  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', users: { alice: 'alice-secret-pw' } });
    pushed = await new RegistryPusher(registry.url, () => basic('alice', 'alice-secret-pw')).pushImage('private/app', 'v1');
    digests = digestService({ REGISTRY_PLAIN_HTTP: registry.host });
    decisions = new DecisionService(digests);
  });
  afterAll(async () => {
    await digests?.close();
    await registry?.dispose();
  });

  it('without a secret the pull is refused; with the right secret it succeeds; with a wrong one it is refused', async () => {
    const image = `${registry.host}/private/app:v1`;
    expect(await decisions.decide({ image, pod: { namespace: 'team' } })).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'unauthorized' } });
    const right = await decisions.decide({ image, pod: { namespace: 'team', imagePullSecrets: [{ name: 'regcred', dockerconfigjson: dockerConfig(registry.host, 'alice', 'alice-secret-pw') }] } });
    expect(right).toMatchObject({ action: 'Pull', reason: 'ImageNotPresent', resolvedDigest: pushed.digest });
    const wrong = await decisions.decide({ image, pod: { namespace: 'team', imagePullSecrets: [{ name: 'regcred', dockerconfigjson: dockerConfig(registry.host, 'alice', 'wrong') }] } });
    expect(wrong).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'unauthorized' } });
  });

  it('an image on the node pulled with another secret must be pulled again with the pod\'s own (credential verification)', async () => {
    const image = `${registry.host}/private/app:v1`;
    const node = {
      images: [{ references: [image], digest: pushed.digest, pulledWith: [{ secret: { namespace: 'team-a', name: 'regcred', uid: 'uid-a', hash: 'a'.repeat(64) } }] }],
      credentialVerification: { enabled: true },
    };
    const other = await decisions.decide({ image, node, pod: { namespace: 'team-b', imagePullSecrets: [{ name: 'mine', uid: 'uid-b', dockerconfigjson: dockerConfig(registry.host, 'alice', 'wrong') }] } });
    expect(other).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', credentialVerification: { required: true, outcome: 'MustPull', rule: 'CredentialsDiffer' } });
    const never = await decisions.decide({ image, imagePullPolicy: 'Never', node, pod: { namespace: 'team-b' } });
    expect(never).toMatchObject({ action: 'Fail', reason: 'ErrImageNeverPull', registry: { consulted: false } });
  });
});

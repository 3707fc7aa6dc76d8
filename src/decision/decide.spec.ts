import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode } from '../common/errors.js';
import { hashAuthConfig } from '../common/docker-credentials.js';
import { allowlistPattern } from './credentials.js';
import { decidePull, planDecision } from './decide.js';
import type { NodeImageInput, PullDecisionInput, RegistryAnswer } from './decision.types.js';
import { goQuote } from './kubelet-text.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const ok = (digest: string | null = D1): RegistryAnswer => ({ source: 'lookup', status: 'ok', digest, error: null });
const status = (s: RegistryAnswer['status']): RegistryAnswer => ({ source: 'lookup', status: s, digest: null, error: null });

function errorOf(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('expected an ApiError');
}

describe('section 3 step 1: default tag and InvalidImageName', () => {
  it.each([
    ['Nginx', 'invalid reference format: repository name (library/Nginx) must be lowercase'],
    ['nginx:', 'invalid reference format'],
    [`nginx@sha256:${'a'.repeat(40)}`, 'invalid checksum digest length'],
    ['nginx@sha256:abc', 'invalid reference format'],
  ])('%s fails with InvalidImageName and the kubelet\'s text', (image, error) => {
    for (const imagePullPolicy of ['Always', 'IfNotPresent', 'Never', undefined]) {
      const decision = decidePull({ image, imagePullPolicy, registry: { available: true } });
      const message = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${error}`;
      expect(decision).toMatchObject({ action: 'Fail', reason: 'InvalidImageName', message, backOff: null, waiting: { reason: 'InvalidImageName', message } });
      expect(decision.event).toEqual({ type: 'Warning', reason: 'InspectFailed', message });
      expect(decision.events.at(-1)).toEqual({ type: 'Warning', reason: 'Failed', message: 'Error: InvalidImageName' });
      expect(decision.registry.consulted).toBe(false);
    }
  });

  it('the defaulted policy of an unparsable image is IfNotPresent', () => {
    expect(decidePull({ image: 'Nginx' })).toMatchObject({ imagePullPolicy: 'IfNotPresent', policySource: 'defaulted' });
  });

  it('an empty image is called out as an API rejection', () => {
    expect(decidePull({ image: '' }).warnings[0]).toContain('Required value');
  });
});

describe('section 3 step 2: Always', () => {
  const node = (images: NodeImageInput[]) => ({ images });

  it('the registry\'s digest already on the node: UseLocal, nothing downloaded, pull by digest', () => {
    const decision = decidePull({ image: 'nginx', node: node([{ references: ['nginx:latest'], digest: D1 }]) }, ok(D1));
    expect(decision).toMatchObject({
      imagePullPolicy: 'Always',
      policySource: 'defaulted',
      action: 'UseLocal',
      reason: 'DigestPresent',
      pullReference: `docker.io/library/nginx@${D1}`,
      resolvedDigest: D1,
      localDigest: D1,
    });
    expect(decision.events[0]).toEqual({ type: 'Normal', reason: 'Pulling', message: 'Pulling image "nginx"' });
  });

  it('the digest under another name counts: content is addressed by digest', () => {
    const decision = decidePull({ image: 'mirror.io/nginx:1.25', imagePullPolicy: 'Always', node: node([{ references: ['nginx:1.25'], digest: D1 }]) }, ok(D1));
    expect(decision).toMatchObject({ action: 'UseLocal', reason: 'DigestPresent' });
  });

  it('the tag has moved: Pull by the new digest', () => {
    const decision = decidePull({ image: 'nginx:latest', node: node([{ references: ['nginx'], digest: D1 }]) }, ok(D2));
    expect(decision).toMatchObject({ action: 'Pull', reason: 'TagMoved', pullReference: `docker.io/library/nginx@${D2}`, resolvedDigest: D2, localDigest: D1 });
    expect(decision.warnings.join('\n')).toContain('the tag has moved');
  });

  it('absent: Pull by the resolved digest', () => {
    expect(decidePull({ image: 'nginx:1.25', imagePullPolicy: 'Always' }, ok(D1))).toMatchObject({ action: 'Pull', reason: 'PullPolicyAlways', pullReference: `docker.io/library/nginx@${D1}` });
  });

  it.each([
    ['unavailable', 'failed to do request: Head "https://registry-1.docker.io/v2/library/nginx/manifests/1.25"'],
    ['unauthorized', 'pull access denied, repository does not exist or may require authorization'],
    ['notFound', 'docker.io/library/nginx:1.25: not found'],
  ] as const)('registry %s: Fail ErrImagePull even though the image is on the node (no fallback)', (s, text) => {
    const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy: 'Always', node: node([{ references: ['nginx:1.25'], digest: D1 }]) }, status(s));
    expect(decision).toMatchObject({ action: 'Fail', reason: 'ErrImagePull' });
    expect(decision.message).toMatch(/^Failed to pull image "nginx:1\.25": rpc error: /);
    expect(decision.message).toContain(text);
    expect(decision.warnings.join('\n')).toContain('never falls back');
    expect(decision.backOff).toEqual({ reason: 'ImagePullBackOff', message: `Back-off pulling image "nginx:1.25": ErrImagePull: ${decision.waiting?.message}`, delaysSeconds: [10, 20, 40, 80, 160, 300] });
    expect(decision.events.map((e) => e.reason)).toEqual(['Pulling', 'Failed', 'Failed']);
  });

  it('even a digest reference fails when the registry is unreachable', () => {
    const image = `nginx@${D1}`;
    const decision = decidePull({ image, imagePullPolicy: 'Always', node: node([{ references: [image] }]) }, status('unavailable'));
    expect(decision).toMatchObject({ action: 'Fail', reason: 'ErrImagePull' });
    expect(decision.message).toContain(`/v2/library/nginx/manifests/${D1}`);
  });

  it('a stale cached digest does not help: the kubelet has no such fallback', () => {
    const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy: 'Always' }, { source: 'lookup', status: 'unavailable', digest: D1, stale: true, error: null });
    expect(decision.action).toBe('Fail');
    expect(decision.warnings.join('\n')).toContain('(stale)');
  });

  it('without a registry answer the pull is predicted but not its success', () => {
    const decision = decidePull({ image: 'nginx' });
    expect(decision).toMatchObject({ action: 'Pull', reason: 'PullPolicyAlways', pullReference: 'docker.io/library/nginx:latest', registry: { consulted: false } });
    expect(decision.warnings.join('\n')).toContain('not consulted');
  });

  it('AlwaysPullImages forces Always', () => {
    const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', alwaysPullImages: true, node: node([{ references: ['nginx:1.25'] }]) }, status('unavailable'));
    expect(decision).toMatchObject({ imagePullPolicy: 'Always', policySource: 'alwaysPullImages', action: 'Fail' });
  });

  it('a missing platform fails the pull', () => {
    const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy: 'Always', node: { platform: 'linux/s390x' }, registry: { digest: D1, platforms: ['linux/amd64', 'linux/arm64'] } });
    expect(decision).toMatchObject({ action: 'Fail', reason: 'ErrImagePull' });
    expect(decision.message).toContain('no match for platform in manifest: not found');
  });
});

describe('section 3 steps 3–6: IfNotPresent and Never', () => {
  it('Never and absent: ErrImageNeverPull with the kubelet\'s message, no back-off', () => {
    const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy: 'Never' });
    const message = 'Container image "nginx:1.25" is not present with pull policy of Never';
    expect(decision).toMatchObject({ action: 'Fail', reason: 'ErrImageNeverPull', message, backOff: null, registry: { consulted: false } });
    expect(decision.event).toEqual({ type: 'Warning', reason: 'ErrImageNeverPull', message });
  });

  // Issue 12, item 4: this test encoded the gate-off default; the text depends on KubeletEnsureSecretPulledImages
  // (image_manager.go EnsureImageExists), whose default is the kubelet release's (kube_features.go).
  it('present: UseLocal with "already present on machine" (kubelet 1.34, gate off)', () => {
    for (const imagePullPolicy of ['Never', 'IfNotPresent']) {
      const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy, node: { kubeletVersion: '1.34', images: [{ references: ['docker.io/library/nginx:1.25'], digest: D1 }] } });
      expect(decision).toMatchObject({ action: 'UseLocal', reason: 'ImagePresent', message: 'Container image "nginx:1.25" already present on machine', localDigest: D1, pullReference: null });
      expect(decision.credentialVerification).toMatchObject({ enabled: false, outcome: 'NotApplicable', rule: 'FeatureDisabled' });
    }
  });

  it('present: "… and can be accessed by the pod" on the newest kubelet (gate on, preloaded image skipped)', () => {
    for (const imagePullPolicy of ['Never', 'IfNotPresent']) {
      const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy, node: { images: [{ references: ['docker.io/library/nginx:1.25'], digest: D1 }] } });
      expect(decision).toMatchObject({ action: 'UseLocal', reason: 'ImagePresent', message: 'Container image "nginx:1.25" already present on machine and can be accessed by the pod' });
      expect(decision.credentialVerification).toMatchObject({ enabled: true, policy: 'NeverVerifyPreloadedImages', outcome: 'Skipped', rule: 'Preloaded' });
      expect(decision.kubelet).toMatchObject({ version: '1.37', assumed: true });
      expect(decision.warnings).toEqual([]); // the same action under every release: kubelet.assumed says enough
    }
  });

  it('an inspect error is ImageInspectError', () => {
    const decision = decidePull({ image: 'nginx:1.25', node: { inspectError: 'rpc error: code = Unavailable' } });
    expect(decision).toMatchObject({ action: 'Fail', reason: 'ImageInspectError', message: 'Failed to inspect image "": rpc error: code = Unavailable' });
  });

  it('IfNotPresent and absent: Pull when the manifest exists, ErrImagePull when not', () => {
    expect(decidePull({ image: 'nginx:1.25' }, ok(D1))).toMatchObject({ action: 'Pull', reason: 'ImageNotPresent', resolvedDigest: D1, message: 'Pulling image "nginx:1.25"' });
    const missing = decidePull({ image: 'nginx:1.99' }, status('notFound'));
    expect(missing).toMatchObject({ action: 'Fail', reason: 'ErrImagePull' });
    expect(missing.waiting?.message).toBe(
      'rpc error: code = NotFound desc = failed to pull and unpack image "docker.io/library/nginx:1.99": failed to resolve reference "docker.io/library/nginx:1.99": docker.io/library/nginx:1.99: not found',
    );
  });

  describe('presence is decided on normalised names', () => {
    const rows: Array<[requested: string, onNode: NodeImageInput, present: boolean]> = [
      ['docker.io/library/nginx:latest', { references: ['nginx'] }, true],
      ['nginx', { references: ['docker.io/library/nginx:latest'] }, true],
      ['index.docker.io/library/nginx:1.25', { references: ['nginx:1.25'] }, true],
      ['library/nginx:1.25', { references: ['nginx:1.25'] }, true],
      [`nginx@${D1}`, { references: ['nginx:1.25'], digest: D1 }, true],
      [`nginx@${D1}`, { references: [`docker.io/library/nginx@${D1}`] }, true],
      [`nginx:1.25@${D1}`, { references: [`nginx@${D1}`] }, true],
      [`nginx:9.9@${D1}`, { references: [`nginx:1.25@${D1}`] }, true], // the tag is ignored when a digest is given
      ['nginx:1.25', { references: ['nginx:1.24'] }, false],
      ['nginx:1.25', { references: ['mirror.io/library/nginx:1.25'], digest: D1 }, false],
      [`nginx@${D1}`, { references: ['other:1'], digest: D1 }, false], // the digest under another name is not this reference
      [`nginx@${D2}`, { references: ['nginx:1.25'], digest: D1 }, false],
      ['localhost:5000/app:1', { references: ['localhost:5000/app:1'] }, true],
    ];
    it.each(rows)('%s with %j on the node → present %s', (image, onNode, present) => {
      const decision = decidePull({ image, imagePullPolicy: 'Never', node: { images: [onNode] } });
      expect(decision.action).toBe(present ? 'UseLocal' : 'Fail');
    });

    it('node references that do not parse are ignored with a warning', () => {
      const decision = decidePull({ image: 'nginx:1.25', imagePullPolicy: 'Never', node: { images: [{ references: ['<none>:<none>', 'nginx:1.25'] }] } });
      expect(decision.action).toBe('UseLocal');
      expect(decision.warnings[0]).toContain('node.images[0].references[0]');
    });
  });

  it('mixed versions: IfNotPresent keeps the old content when the tag moved (section 3.6)', () => {
    const decision = decidePull({ image: 'nginx:1.25', node: { images: [{ references: ['nginx:1.25'], digest: D1 }] }, registry: { digest: D2 } });
    expect(decision).toMatchObject({ action: 'UseLocal', localDigest: D1, resolvedDigest: D2 });
    expect(decision.warnings.join('\n')).toContain('mixed versions');
  });

  it('asks the registry about a local image only for detectDrift', () => {
    const input = { image: 'nginx:1.25', node: { images: [{ references: ['nginx:1.25'], digest: D1 }] } };
    expect(planDecision(input).question).toBeNull();
    expect(planDecision({ ...input, detectDrift: true }).question).toMatchObject({ purpose: 'drift', reference: 'docker.io/library/nginx:1.25' });
  });
});

describe('section 4: credential verification', () => {
  const S = { namespace: 'team', name: 'regcred', uid: 'uid-s', hash: 'a'.repeat(64) };
  const enabled = (policy = 'AlwaysVerify', allowlist?: string[]) => ({ enabled: true, policy, ...(allowlist ? { allowlist } : {}) });
  const decide = (onNode: NodeImageInput, pod: PullDecisionInput['pod'], policy = 'AlwaysVerify', imagePullPolicy = 'IfNotPresent', image = 'nginx:1.25', allowlist?: string[]) =>
    decidePull({ image, imagePullPolicy, node: { images: [onNode], credentialVerification: enabled(policy, allowlist) }, pod }, ok(D1));

  describe('the table of how the image got there × the pod\'s credentials', () => {
    const rows: Array<[label: string, onNode: NodeImageInput, pod: PullDecisionInput['pod'], rule: string, useLocal: boolean]> = [
      ['preloaded, any credentials', { references: ['nginx:1.25'], pulledBy: 'preloaded' }, { namespace: 'team', imagePullSecrets: [S] }, 'NoPulledRecord', false],
      ['pull intent without a pulled record', { references: ['nginx:1.25'], pulledBy: 'pullIntent' }, { namespace: 'team', imagePullSecrets: [S] }, 'NoPulledRecord', false],
      ['pulled anonymously, no credentials', { references: ['nginx:1.25'], pulledWith: [{ anonymous: true }] }, { namespace: 'other' }, 'NodeAccessible', true],
      ['pulled with S, pod has S', { references: ['nginx:1.25'], pulledWith: [{ secret: S }] }, { namespace: 'team', imagePullSecrets: [S] }, 'SameSecret', true],
      ['pulled with S, S rotated in place', { references: ['nginx:1.25'], pulledWith: [{ secret: S }] }, { namespace: 'team', imagePullSecrets: [{ ...S, hash: 'c'.repeat(64) }] }, 'RotatedSecret', true],
      ['pulled with S, another secret with identical bytes', { references: ['nginx:1.25'], pulledWith: [{ secret: S }] }, { namespace: 'web', imagePullSecrets: [{ name: 'copy', uid: 'uid-c', hash: `sha256:${'A'.repeat(64)}` }] }, 'IdenticalCredentials', true],
      ['pulled with S, different credentials', { references: ['nginx:1.25'], pulledWith: [{ secret: S }] }, { namespace: 'team', imagePullSecrets: [{ name: 'other', uid: 'uid-o', hash: 'd'.repeat(64) }] }, 'CredentialsDiffer', false],
      ['pulled with S, S recreated (new UID, new content)', { references: ['nginx:1.25'], pulledWith: [{ secret: S }] }, { namespace: 'team', imagePullSecrets: [{ ...S, uid: 'uid-new', hash: 'e'.repeat(64) }] }, 'CredentialsDiffer', false],
      ['pulled with S, no credentials', { references: ['nginx:1.25'], pulledWith: [{ secret: S }] }, { namespace: 'team' }, 'CredentialsDiffer', false],
      ['pulled under another repository name with the same digest', { references: ['nginx:1.25', 'mirror.io/library/nginx:1.25'], digest: D1, pulledWith: [{ anonymous: true, repository: 'mirror.io/library/nginx' }] }, { namespace: 'team', imagePullSecrets: [S] }, 'PulledUnderOtherName', false],
      ['pulled by the kubelet without a credential record', { references: ['nginx:1.25'], pulledWith: [] }, { namespace: 'team' }, 'NoCredentialRecord', false],
      ['pulled with the pod\'s service account', { references: ['nginx:1.25'], pulledWith: [{ serviceAccount: { namespace: 'team', name: 'builder', uid: 'sa-1' } }] }, { namespace: 'team', serviceAccount: { name: 'builder', uid: 'sa-1' } }, 'SameServiceAccount', true],
      ['pulled with another service account', { references: ['nginx:1.25'], pulledWith: [{ serviceAccount: { namespace: 'team', name: 'builder', uid: 'sa-1' } }] }, { namespace: 'team', serviceAccount: { name: 'builder', uid: 'sa-2' } }, 'CredentialsDiffer', false],
    ];

    it.each(rows)('%s', (_label, onNode, pod, rule, useLocal) => {
      const ifNotPresent = decide(onNode, pod);
      expect(ifNotPresent.credentialVerification).toMatchObject({ enabled: true, policy: 'AlwaysVerify', required: true, outcome: useLocal ? 'Verified' : 'MustPull', rule });
      if (useLocal) {
        expect(ifNotPresent).toMatchObject({ action: 'UseLocal', message: 'Container image "nginx:1.25" already present on machine and can be accessed by the pod' });
      } else {
        expect(ifNotPresent).toMatchObject({ action: 'Pull', reason: 'CredentialsNotVerified' });
        // with Never, presence is hidden: the same message as an absent image
        const never = decide(onNode, pod, 'AlwaysVerify', 'Never');
        expect(never).toMatchObject({ action: 'Fail', reason: 'ErrImageNeverPull', message: 'Container image "nginx:1.25" is not present with pull policy of Never' });
      }
    });

    it('must pull means the registry and the pod\'s credentials decide', () => {
      const onNode: NodeImageInput = { references: ['nginx:1.25'], pulledWith: [{ secret: S }] };
      const refused = decidePull({ image: 'nginx:1.25', node: { images: [onNode], credentialVerification: enabled() }, pod: { namespace: 'team' } }, status('unauthorized'));
      expect(refused).toMatchObject({ action: 'Fail', reason: 'ErrImagePull' });
    });
  });

  describe('policies', () => {
    const kubeletPulledWithS: NodeImageInput = { references: ['nginx:1.25'], pulledWith: [{ secret: S }] };
    const preloaded: NodeImageInput = { references: ['nginx:1.25'] };
    const noCredentials = { namespace: 'team' };

    // Issue 12, item 4: 'gate off (default)' encoded the 1.34 default; the default is now the kubelet release's.
    it('gate off (kubelet 1.33–1.34, or enabled: false): present images are used', () => {
      expect(decidePull({ image: 'nginx:1.25', node: { kubeletVersion: '1.34', images: [kubeletPulledWithS] }, pod: noCredentials }).action).toBe('UseLocal');
      expect(decidePull({ image: 'nginx:1.25', node: { credentialVerification: { enabled: false }, images: [kubeletPulledWithS] }, pod: noCredentials }).action).toBe('UseLocal');
    });

    it('gate on by default from 1.35, with NeverVerifyPreloadedImages; an assumed release that decides the action is a warning', () => {
      const assumed = decidePull({ image: 'nginx:1.25', node: { images: [kubeletPulledWithS] }, pod: noCredentials }, ok());
      expect(assumed).toMatchObject({ action: 'Pull', reason: 'CredentialsNotVerified', credentialVerification: { enabled: true, policy: 'NeverVerifyPreloadedImages' }, kubelet: { version: '1.37', assumed: true } });
      expect(assumed.warnings.join('\n')).toContain('node.kubeletVersion is not given: assumed the newest modelled kubelet, 1.37');
      const given = decidePull({ image: 'nginx:1.25', node: { kubeletVersion: 'v1.35.4', images: [kubeletPulledWithS] }, pod: noCredentials }, ok());
      expect(given).toMatchObject({ action: 'Pull', kubelet: { version: '1.35', assumed: false } });
      expect(given.warnings.join('\n')).not.toContain('kubeletVersion');
    });

    it('NeverVerify: present images are used', () => {
      expect(decide(kubeletPulledWithS, noCredentials, 'NeverVerify').credentialVerification).toMatchObject({ required: false, outcome: 'Skipped', rule: 'NeverVerify' });
    });

    it('NeverVerifyPreloadedImages (the default policy): preloaded used, kubelet-pulled verified', () => {
      const defaultPolicy = (onNode: NodeImageInput) => decidePull({ image: 'nginx:1.25', node: { images: [onNode], credentialVerification: { enabled: true } }, pod: noCredentials }, ok());
      expect(defaultPolicy(preloaded)).toMatchObject({ action: 'UseLocal', credentialVerification: { policy: 'NeverVerifyPreloadedImages', rule: 'Preloaded' } });
      expect(defaultPolicy(kubeletPulledWithS)).toMatchObject({ action: 'Pull', credentialVerification: { rule: 'CredentialsDiffer' } });
      expect(defaultPolicy({ references: ['nginx:1.25'], pulledBy: 'pullIntent' })).toMatchObject({ action: 'Pull', credentialVerification: { rule: 'NoPulledRecord' } });
    });

    it('NeverVerifyAllowlistedImages: allowlisted images are used however they arrived, all others verified', () => {
      const allow = ['docker.io/library/nginx', 'registry.io/team/*'];
      expect(decide(preloaded, noCredentials, 'NeverVerifyAllowlistedImages', 'IfNotPresent', 'nginx:1.25', allow).credentialVerification).toMatchObject({ outcome: 'Skipped', rule: 'Allowlisted' });
      expect(decide(kubeletPulledWithS, noCredentials, 'NeverVerifyAllowlistedImages', 'IfNotPresent', 'nginx:1.25', allow).action).toBe('UseLocal');
      const prefixed = decide({ references: ['registry.io/team/app:1'] }, noCredentials, 'NeverVerifyAllowlistedImages', 'IfNotPresent', 'registry.io/team/app:1', allow);
      expect(prefixed.credentialVerification.rule).toBe('Allowlisted');
      const other = decide({ references: ['redis:7'] }, noCredentials, 'NeverVerifyAllowlistedImages', 'IfNotPresent', 'redis:7', allow);
      expect(other.credentialVerification).toMatchObject({ outcome: 'MustPull', rule: 'NoPulledRecord' });
      // a prefix is a plain string prefix of the normalised name, ending with "/"
      const near = decide({ references: ['registry.io/team-b/app:1'] }, noCredentials, 'NeverVerifyAllowlistedImages', 'IfNotPresent', 'registry.io/team-b/app:1', allow);
      expect(near.credentialVerification.outcome).toBe('MustPull');
    });

    it('AlwaysVerify: preloaded images must be pulled too', () => {
      expect(decide(preloaded, noCredentials).credentialVerification).toMatchObject({ outcome: 'MustPull', rule: 'NoPulledRecord' });
    });

    it('verification does not apply to Always or to absent images', () => {
      expect(decide(preloaded, noCredentials, 'AlwaysVerify', 'Always').credentialVerification).toMatchObject({ outcome: 'NotApplicable', rule: 'PolicyAlways', required: false });
      expect(decide({ references: ['redis:7'] }, noCredentials).credentialVerification).toMatchObject({ outcome: 'NotApplicable', rule: 'ImageNotPresent' });
    });
  });

  // Issue 12 replaced the old contract (the sha256 of the .dockerconfigjson bytes): content is read with the kubelet's
  // keyring rules for the image decided, and each matching entry hashed as keyring.go hashAuthConfig does.
  describe('dockerconfigjson instead of hash', () => {
    const content = '{"auths":{"registry.io":{"auth":"dXNlcjpwYXNz"}}}';
    const credentialHash = hashAuthConfig({ username: 'user', password: 'pass' });
    const onNode: NodeImageInput = { references: ['registry.io/app:1'], pulledWith: [{ secret: { namespace: 'a', name: 's', uid: 'u1', hash: credentialHash } }] };

    it('the same credential for the image\'s registry in another Secret verifies (JSON or base64 as in Secret.data)', () => {
      for (const dockerconfigjson of [content, Buffer.from(content).toString('base64')]) {
        const decision = decide(onNode, { namespace: 'b', imagePullSecrets: [{ name: 'copy', uid: 'u2', dockerconfigjson }] }, 'AlwaysVerify', 'IfNotPresent', 'registry.io/app:1');
        expect(decision.credentialVerification.rule).toBe('IdenticalCredentials');
      }
    });

    it('a Secret without an entry for the image\'s registry is not compared (keyring.Lookup)', () => {
      const pulledWithS: NodeImageInput = { references: ['nginx:1.25'], pulledWith: [{ secret: { namespace: 'b', name: 'copy', uid: 'u2', hash: credentialHash } }] };
      const decision = decide(pulledWithS, { namespace: 'b', imagePullSecrets: [{ name: 'copy', uid: 'u2', dockerconfigjson: content }] });
      expect(decision.credentialVerification).toMatchObject({ outcome: 'MustPull', rule: 'CredentialsDiffer' });
    });

    it('content the kubelet cannot read is a 400 naming the field', () => {
      expect(errorOf(() => planDecision({ image: 'nginx', pod: { imagePullSecrets: [{ name: 's', dockerconfigjson: 'not json' }] } })).code).toBe(ErrorCode.InvalidRequest);
      const badAuth = '{"auths":{"registry.io":{"auth":"dXNlcjpwYQ="}}}';
      expect(errorOf(() => planDecision({ image: 'nginx', pod: { imagePullSecrets: [{ name: 's', dockerconfigjson: badAuth }] } })).message).toMatch(
        /^pod\.imagePullSecrets\[0\]\.dockerconfigjson: an "auth" field is not base64\(username:password\)/,
      );
    });

    it('the lookup is asked with the pod\'s dockerconfigjson contents', () => {
      const plan = planDecision({ image: 'registry.io/app:1', pod: { imagePullSecrets: [{ name: 's', dockerconfigjson: content }, { name: 'h', hash: credentialHash }] } });
      expect(plan.question).toMatchObject({ purpose: 'pull', pullSecrets: [content], secretsWithoutContent: 1 });
    });
  });

  describe('configuration errors are 400s naming the value (kubelet texts)', () => {
    const config = (credentialVerification: Record<string, unknown>) => () => planDecision({ image: 'nginx', node: { credentialVerification } });

    it('an unknown policy, with the documentation\'s spelling called out', () => {
      const error = errorOf(config({ policy: 'NeverVerifyAllowListedImages', allowlist: ['docker.io/library/nginx'] }));
      expect(error.code).toBe(ErrorCode.InvalidRequest);
      expect(error.message).toBe(
        'node.credentialVerification.policy: invalid configuration: option "NeverVerifyAllowListedImages" specified for imagePullCredentialsVerificationPolicy. ' +
          'Valid options are "NeverVerify", "NeverVerifyPreloadedImages", "NeverVerifyAllowlistedImages" or "AlwaysVerify" ' +
          '(the Kubernetes documentation spells it NeverVerifyAllowListedImages; the kubelet only accepts NeverVerifyAllowlistedImages)',
      );
      expect(errorOf(config({ policy: 'Sometimes' })).message).toContain('option "Sometimes" specified');
    });

    it('an allowlist with another policy', () => {
      expect(errorOf(config({ policy: 'AlwaysVerify', allowlist: ['docker.io/library/nginx'] })).message).toContain("can't set `preloadedImagesVerificationAllowlist`");
    });

    it.each([
      ['alpine', 'neither tag nor digest is accepted in an image reference: alpine (use the fully normalised name without tag or digest: docker.io/library/alpine)'],
      ['docker.io/library/alpine:3.20', 'neither tag nor digest is accepted in an image reference: docker.io/library/alpine:3.20 (use the fully normalised name without tag or digest: docker.io/library/alpine)'],
      [`docker.io/library/alpine@${D1}`, `neither tag nor digest is accepted in an image reference: docker.io/library/alpine@${D1} (use the fully normalised name without tag or digest: docker.io/library/alpine)`],
      ['registry.io/*/app', "not a valid wildcard pattern, only patterns ending with '/*' are allowed: registry.io/*/app"],
      ['*', "not a valid wildcard pattern, only patterns ending with '/*' are allowed: *"],
      ['/*', 'at least registry hostname is required'],
      [' docker.io/library/alpine', 'leading/trailing spaces are not allowed:  docker.io/library/alpine (use the fully normalised name without tag or digest: docker.io/library/alpine)'],
      ['Registry.io/App', 'failed to parse as an image name: invalid reference format: repository name (App) must be lowercase'],
    ])('allowlist entry %j', (entry, text) => {
      const error = errorOf(config({ policy: 'NeverVerifyAllowlistedImages', allowlist: ['docker.io/library/nginx', entry] }));
      expect(error.message).toBe(`node.credentialVerification.allowlist[1]: invalid configuration: invalid image pattern in \`preloadedImagesVerificationAllowlist\`: ${text}`);
    });

    it.each(['docker.io/library/alpine', 'registry.io/*', 'registry.io/team/*', 'localhost:5000/app'])('accepts %s', (entry) => {
      expect(typeof allowlistPattern(entry)).toBe('object');
    });

    // White space as the kubelet sees it: pkg/kubelet/images/pullmanager/image_pull_policies.go getAllowlistImagePattern,
    // `if pattern != strings.TrimSpace(pattern)` — Go's unicode.IsSpace, not JavaScript's trim().
    it.each([
      ['docker.io/library/alpine\u0085', 'leading/trailing spaces are not allowed: docker.io/library/alpine\u0085', 'U+0085 is Go space (unicode.IsSpace); trim() keeps it'],
      ['\u00a0docker.io/library/alpine', 'leading/trailing spaces are not allowed: \u00a0docker.io/library/alpine', 'U+00A0 is Go space (unicode.IsSpace)'],
      ['registry.io/*\u2028', 'leading/trailing spaces are not allowed: registry.io/*\u2028', 'U+2028 is in unicode.White_Space'],
      ['\u3000registry.io/*', 'leading/trailing spaces are not allowed: \u3000registry.io/*', 'U+3000 is in unicode.White_Space'],
      ['\ufeffdocker.io/library/alpine', 'failed to parse as an image name: invalid reference format', 'U+FEFF is no Go space: TrimSpace keeps it, ParseNormalizedNamed fails'],
      ['docker.io/library/alpine\u200b', 'failed to parse as an image name: invalid reference format', 'U+200B is no Go space'],
    ])('allowlist entry %j → %j (%s)', (entry, text) => {
      expect(allowlistPattern(entry)).toBe(text);
      const error = errorOf(config({ policy: 'NeverVerifyAllowlistedImages', allowlist: [entry] }));
      expect(error.message.startsWith(`node.credentialVerification.allowlist[0]: invalid configuration: invalid image pattern in \`preloadedImagesVerificationAllowlist\`: ${text}`)).toBe(true);
    });

    it('a wildcard with a leading U+FEFF is accepted as the kubelet accepts it (no Go space, a wildcard is not parsed)', () => {
      // getAllowlistImagePattern: TrimSpace keeps U+FEFF; `/*` patterns skip ParseNormalizedNamed.
      expect(allowlistPattern('\ufeffregistry.io/*')).toMatchObject({ wildcard: true, match: '\ufeffregistry.io/' });
    });

    it('policy settings with the gate off are ignored with a warning', () => {
      const plan = planDecision({ image: 'nginx', node: { credentialVerification: { enabled: false, policy: 'AlwaysVerify' } } });
      expect(plan.warnings.join('\n')).toContain('feature gate is off');
    });

    it('a pulledWith entry must have exactly one kind of credential', () => {
      expect(errorOf(() => planDecision({ image: 'nginx', node: { images: [{ references: ['nginx'], pulledWith: [{ anonymous: true, secret: S }] }] } })).message).toBe(
        'node.images[0].pulledWith[0] must have exactly one of anonymous (true), secret, serviceAccount',
      );
    });
  });
});

describe('policy given by the caller', () => {
  it('rejects values the API does not know', () => {
    expect(errorOf(() => decidePull({ image: 'nginx', imagePullPolicy: 'always' })).code).toBe(ErrorCode.InvalidPullPolicy);
  });

  // Issue 12, item 3: AlwaysPullImages is mutating admission, which runs before validation
  // (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go: Admit, then r.Create → strategy Validate).
  it.each([
    // [imagePullPolicy, alwaysPullImages, expected, Kubernetes source]
    ['always', true, 'Always', 'alwayspullimages/admission.go Admit sets Always before validation'],
    ['Sometimes', true, 'Always', 'same'],
    ['Never', true, 'Always', 'same (a valid value is replaced too)'],
    ['always', false, 'InvalidPullPolicy', 'core validation: Unsupported value (no admission plugin)'],
  ] as const)('%j with alwaysPullImages %s → %s (%s)', (imagePullPolicy, alwaysPullImages, expected, _source) => {
    const input: PullDecisionInput = { image: 'nginx:1.25', imagePullPolicy, alwaysPullImages, registry: { digest: D1 } };
    if (expected === 'InvalidPullPolicy') {
      expect(errorOf(() => decidePull(input)).code).toBe(ErrorCode.InvalidPullPolicy);
      return;
    }
    const decision = decidePull(input);
    expect(decision).toMatchObject({ imagePullPolicy: 'Always', policySource: 'alwaysPullImages', action: 'Pull', reason: 'PullPolicyAlways' });
    expect(decision.warnings.join('\n')).toMatch(/AlwaysPullImages admission plugin replaces/);
  });
  it('reports where the policy came from', () => {
    expect(decidePull({ image: 'nginx:1.25', imagePullPolicy: 'Never' }).policySource).toBe('given');
    expect(decidePull({ image: 'nginx:1.25' }).policySource).toBe('defaulted');
  });
});

// Issue 12, item 4: which kubelet. Each row: node input, expected answer, and the Kubernetes source it follows.
describe('node.kubeletVersion decides the gate defaults; an explicit credentialVerification wins', () => {
  const kubeletPulled: NodeImageInput = { references: ['nginx:1.25'], pulledWith: [{ secret: { namespace: 'team', name: 's', uid: 'u', hash: 'a'.repeat(64) } }] };
  const decide = (node: Record<string, unknown>) => decidePull({ image: 'nginx:1.25', node: { images: [kubeletPulled], ...node }, pod: { namespace: 'team' } }, ok());
  it.each([
    // [node, action, gate enabled, gate source, kubelet.version, assumed, source]
    [{ kubeletVersion: '1.33' }, 'UseLocal', false, 'kubeletVersion', '1.33', false, 'kube_features.go KubeletEnsureSecretPulledImages {1.33, Default: false, Alpha}'],
    [{ kubeletVersion: 'v1.34.3' }, 'UseLocal', false, 'kubeletVersion', '1.34', false, 'no 1.34 row: the 1.33 row holds'],
    [{ kubeletVersion: '1.35' }, 'Pull', true, 'kubeletVersion', '1.35', false, '{1.35, Default: true, Beta}; v1beta1/defaults.go: policy NeverVerifyPreloadedImages'],
    [{ kubeletVersion: 'v1.36.4+k3s1' }, 'Pull', true, 'kubeletVersion', '1.36', false, 'the 1.35 row holds'],
    [{}, 'Pull', true, 'kubeletVersion', '1.37', true, 'absent: the newest modelled release, assumed'],
    [{ kubeletVersion: '1.37', credentialVerification: { enabled: false } }, 'UseLocal', false, 'credentialVerification', '1.37', false, 'explicit gate off wins over the release default'],
    [{ kubeletVersion: '1.34', credentialVerification: {} }, 'Pull', true, 'credentialVerification', '1.34', false, 'explicit object: gate on (enabled defaults to true when given)'],
    [{ credentialVerification: { enabled: false } }, 'UseLocal', false, 'credentialVerification', '1.37', true, 'explicit wins; the release is still reported as assumed'],
  ] as const)('%o → %s', (node, action, enabled, source, version, assumed, _source) => {
    const decision = decide(node);
    expect(decision).toMatchObject({ action, credentialVerification: { enabled }, kubelet: { version, assumed, featureGates: { KubeletEnsureSecretPulledImages: { enabled, source } } } });
    expect(decision.message).toBe(action === 'UseLocal' ? 'Container image "nginx:1.25" already present on machine' : 'Pulling image "nginx:1.25"');
  });

  it('a malformed or unsupported kubeletVersion is a 400 naming the field and the range', () => {
    const error = errorOf(() => decide({ kubeletVersion: '1.2' }));
    expect(error.code).toBe(ErrorCode.InvalidRequest);
    expect(error.message).toBe('node.kubeletVersion must be one of 1.33, 1.34, 1.35, 1.36, 1.37 (a leading "v", a patch and a build suffix are accepted, e.g. "v1.37.2"), got "1.2" (older kubelets have no KubeletEnsureSecretPulledImages gate; this service models 1.33 on)');
    expect(errorOf(() => decide({ kubeletVersion: 'one.35' })).message).toMatch(/^node\.kubeletVersion must be one of .*, got "one\.35"$/);
  });
});

describe('kubelet text helpers', () => {
  it.each([
    ['nginx', '"nginx"'],
    ['a"b', '"a\\"b"'],
    [' x\t', '" x\\t"'],
    ['\u00a0x', '"\\u00a0x"'],
    ['é', '"é"'],
  ])('goQuote(%j) = %s', (input, quoted) => {
    expect(goQuote(input)).toBe(quoted);
  });
});

describe('properties', () => {
  const images = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('nginx', 'nginx:1.25', `nginx@${D1}`, 'Nginx', 'ghcr.io/a/b:latest'));
  const policies = fc.constantFrom(undefined, 'Always', 'IfNotPresent', 'Never');
  const answers = fc.constantFrom<RegistryAnswer | null>(null, ok(D1), ok(D2), status('notFound'), status('unavailable'), status('unauthorized'), status('unknown'));
  const nodeImages = fc.array(
    fc.record({ references: fc.array(fc.constantFrom('nginx', 'nginx:1.25', `nginx@${D1}`, 'redis:7', 'x y'), { maxLength: 3 }), digest: fc.constantFrom(undefined, D1, D2) }, { requiredKeys: ['references'] }),
    { maxLength: 3 },
  );

  it('every input gets exactly one consistent decision', () => {
    fc.assert(
      fc.property(images, policies, answers, nodeImages, fc.boolean(), (image, imagePullPolicy, answer, images_, gate) => {
        const decision = decidePull({ image, imagePullPolicy, node: { images: images_, ...(gate ? { credentialVerification: { enabled: true, policy: 'AlwaysVerify' } } : {}) } }, answer);
        expect(['UseLocal', 'Pull', 'Fail']).toContain(decision.action);
        if (decision.action === 'Fail') {
          expect(decision.waiting?.reason).toBe(decision.reason);
          expect(decision.event?.message).toBe(decision.message);
          expect(decision.backOff === null).toBe(decision.reason !== 'ErrImagePull');
        } else {
          expect(decision.waiting).toBeNull();
        }
        if (decision.imagePullPolicy === 'Never') expect(decision.action).not.toBe('Pull');
        if (decision.imagePullPolicy === 'Always' && decision.action !== 'Fail' && answer !== null && answer.status !== 'ok' && answer.status !== 'unknown') {
          throw new Error('Always must fail when the registry fails');
        }
      }),
      { numRuns: 400 },
    );
  });
});

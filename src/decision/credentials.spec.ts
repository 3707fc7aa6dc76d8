/**
 * Issue 12, items 1 and 2: the credential identity the kubelet compares (KEP-2535) and which of the pod's Secrets
 * count. Each row names the Kubernetes source it follows:
 *  - pkg/credentialprovider/keyring.go: `hashAuthConfig` (sha256 of the JSON of AuthConfig{Username, Password, Email}),
 *    `BasicDockerKeyring.Add` (url.Parse, parsed.Host) and `.Lookup` (matching keys; the index.docker.io fallback
 *    only when none matched)
 *  - pkg/credentialprovider/config.go: `DockerConfigEntry.UnmarshalJSON` / `decodeDockerConfigFieldAuth`
 *  - pkg/kubelet/images/image_manager.go: `EnsureImageExists` (getPodCredentials: `keyring.Lookup(repoToPull)`,
 *    matches from Secrets only), `trackedToImagePullCreds` (what a pull records)
 *  - pkg/kubelet/images/pullmanager/image_pull_manager.go: `MustAttemptImagePull` (hash or coordinates match)
 */
import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode } from '../common/errors.js';
import { hashAuthConfig } from '../common/docker-credentials.js';
import { podSecretIdentities, secretIdentity } from './credentials.js';
import { decidePull } from './decide.js';
import type { PullDecisionInput, SecretInput } from './decision.types.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const b64 = (text: string): string => Buffer.from(text).toString('base64');
const config = (auths: Record<string, unknown>, indent?: number): string => JSON.stringify({ auths }, null, indent);

/** The same credential for registry.io, spelt in several ways. */
const AUTH_FORM = config({ 'registry.io': { auth: b64('user:pass') } });
const USERNAME_FORM = config({ 'registry.io': { username: 'user', password: 'pass' } });
const WITH_OTHER_REGISTRY = config({ 'other.io': { auth: b64('x:y') }, 'registry.io': { username: 'user', password: 'pass' } });
const PRETTY = config({ 'registry.io': { auth: b64('user:pass') } }, 4);
const OTHER_PASSWORD = config({ 'registry.io': { auth: b64('user:other') } });
const ONLY_OTHER_REGISTRY = config({ 'other.io': { auth: b64('user:pass') } });
const CREDENTIAL_HASH = hashAuthConfig({ username: 'user', password: 'pass' });

const S = { namespace: 'team', name: 'regcred', uid: 'uid-s' };
const T = { namespace: 'team', name: 'copy', uid: 'uid-t' };

interface Row {
  name: string;
  /** The Kubernetes file#function the row follows. */
  source: string;
  image?: string;
  recorded: SecretInput[];
  pod: SecretInput[];
  rule: string;
  useLocal: boolean;
  assumed?: number;
}

const IMAGE = 'registry.io/team/app:1';

const rows: Row[] = [
  {
    name: 'auth in one Secret, username/password in another: the same credential',
    source: 'keyring.go#hashAuthConfig (AuthConfig{Username, Password, Email}; config.go#decodeDockerConfigFieldAuth fills Username/Password from auth)',
    recorded: [{ ...S, dockerconfigjson: AUTH_FORM }],
    pod: [{ ...T, dockerconfigjson: USERNAME_FORM }],
    rule: 'IdenticalCredentials',
    useLocal: true,
  },
  {
    name: 'a Secret that also holds another registry: only the entry for the image counts',
    source: 'keyring.go#BasicDockerKeyring.Lookup (the matching entry only) + image_manager.go#EnsureImageExists (getPodCredentials)',
    recorded: [{ ...S, dockerconfigjson: WITH_OTHER_REGISTRY }],
    pod: [{ ...T, dockerconfigjson: AUTH_FORM }],
    rule: 'IdenticalCredentials',
    useLocal: true,
  },
  {
    name: 'the same content with other white space (and as base64, as in Secret.data)',
    source: 'keyring.go#hashAuthConfig (the parsed AuthConfig is hashed, not the bytes)',
    recorded: [{ ...S, dockerconfigjson: PRETTY }],
    pod: [{ ...T, dockerconfigjson: b64(AUTH_FORM) }],
    rule: 'IdenticalCredentials',
    useLocal: true,
  },
  {
    name: 'another password for the registry: different credentials',
    source: 'image_pull_manager.go#MustAttemptImagePull (no hash, no coordinates match)',
    recorded: [{ ...S, dockerconfigjson: AUTH_FORM }],
    pod: [{ ...T, dockerconfigjson: OTHER_PASSWORD }],
    rule: 'CredentialsDiffer',
    useLocal: false,
  },
  {
    name: 'the same Secret rotated to hold only another registry: it does not count, whatever its coordinates',
    source: 'image_manager.go#EnsureImageExists (getPodCredentials: keyring.Lookup(repoToPull), matches from Secrets only)',
    recorded: [{ ...S, hash: CREDENTIAL_HASH }],
    pod: [{ ...S, dockerconfigjson: ONLY_OTHER_REGISTRY }],
    rule: 'CredentialsDiffer',
    useLocal: false,
  },
  {
    name: 'the same Secret rotated in place, still with an entry for the registry: coordinates match',
    source: 'image_pull_manager.go#MustAttemptImagePull (secretCoordinatesMatch)',
    recorded: [{ ...S, hash: CREDENTIAL_HASH }],
    pod: [{ ...S, dockerconfigjson: OTHER_PASSWORD }],
    rule: 'RotatedSecret',
    useLocal: true,
  },
  {
    name: 'the pulled Secret itself, unchanged',
    source: 'image_pull_manager.go#MustAttemptImagePull (hashesMatch and secretCoordinatesMatch)',
    recorded: [{ ...S, dockerconfigjson: AUTH_FORM }],
    pod: [{ ...S, dockerconfigjson: USERNAME_FORM }],
    rule: 'SameSecret',
    useLocal: true,
  },
  {
    name: 'a recorded hash given by the caller is compared as given',
    source: 'image_manager.go#trackedToImagePullCreds (CredentialHash: AuthConfigHash)',
    recorded: [{ ...S, hash: `sha256:${CREDENTIAL_HASH.toUpperCase()}` }],
    pod: [{ ...T, dockerconfigjson: USERNAME_FORM }],
    rule: 'IdenticalCredentials',
    useLocal: true,
  },
  {
    name: 'a pod Secret given as a hash only is taken to have an entry for the registry, and the answer says so',
    source: 'image_pull_manager.go#MustAttemptImagePull (hashesMatch)',
    recorded: [{ ...S, dockerconfigjson: AUTH_FORM }],
    pod: [{ ...T, hash: CREDENTIAL_HASH }],
    rule: 'IdenticalCredentials',
    useLocal: true,
    assumed: 1,
  },
  {
    name: 'a pod Secret with a hash but content without an entry for the registry does not count',
    source: 'image_manager.go#EnsureImageExists (keyring.Lookup decides which Secrets count)',
    recorded: [{ ...S, hash: CREDENTIAL_HASH }],
    pod: [{ ...T, hash: CREDENTIAL_HASH, dockerconfigjson: ONLY_OTHER_REGISTRY }],
    rule: 'CredentialsDiffer',
    useLocal: false,
  },
  {
    name: 'a recorded Secret with two entries for the image: the first the puller tries is assumed, and the answer says so',
    source: 'keyring.go#BasicDockerKeyring.Lookup (reverse-sorted index: registry.io/team before registry.io) + image_manager.go#pullImage (credentialsUsed)',
    recorded: [{ ...S, dockerconfigjson: config({ 'registry.io': { auth: b64('host:wide') }, 'registry.io/team': { auth: b64('user:pass') } }) }],
    pod: [{ ...T, dockerconfigjson: AUTH_FORM }],
    rule: 'IdenticalCredentials',
    useLocal: true,
    assumed: 1,
  },
  {
    name: 'a recorded Secret without an entry for the image keeps its coordinates, its hash unknown',
    source: 'image_manager.go#trackedToImagePullCreds (a pull records the credential it used) + image_pull_manager.go#MustAttemptImagePull',
    recorded: [{ ...S, dockerconfigjson: ONLY_OTHER_REGISTRY }],
    pod: [{ ...S, dockerconfigjson: AUTH_FORM }],
    rule: 'RotatedSecret',
    useLocal: true,
    assumed: 1,
  },
  {
    name: 'a `https://user@host` key is the host',
    source: 'keyring.go#BasicDockerKeyring.Add (url.Parse; parsed.Host drops the userinfo)',
    recorded: [{ ...S, dockerconfigjson: AUTH_FORM }],
    pod: [{ ...T, dockerconfigjson: config({ 'https://someone@registry.io': { username: 'user', password: 'pass' } }) }],
    rule: 'IdenticalCredentials',
    useLocal: true,
  },
  {
    name: 'an email-only docker.io entry is a credential (its AuthConfig has the email): the same email verifies',
    source: 'keyring.go#BasicDockerKeyring.Add (every entry kept) + keyring.go#hashAuthConfig ({"email": …})',
    image: 'nginx:1.25',
    recorded: [{ ...S, dockerconfigjson: config({ 'docker.io': { email: 'ops@example.com' } }) }],
    pod: [{ ...T, dockerconfigjson: config({ 'https://docker.io/v1/': { email: 'ops@example.com' } }) }],
    rule: 'IdenticalCredentials',
    useLocal: true,
  },
  {
    name: 'an email-only docker.io entry shadows the index.docker.io fallback of the same Secret',
    source: 'keyring.go#BasicDockerKeyring.Lookup (defaultRegistryHost only when no key matched)',
    image: 'nginx:1.25',
    recorded: [{ ...S, hash: CREDENTIAL_HASH }],
    pod: [{ ...T, dockerconfigjson: config({ 'docker.io': { email: 'ops@example.com' }, 'https://index.docker.io/v1/': { auth: b64('user:pass') } }) }],
    rule: 'CredentialsDiffer',
    useLocal: false,
  },
  {
    name: 'without the email-only entry the index.docker.io fallback answers for Docker Hub images',
    source: 'keyring.go#BasicDockerKeyring.Lookup (isDefaultRegistryMatch, defaultRegistryHost)',
    image: 'nginx:1.25',
    recorded: [{ ...S, hash: CREDENTIAL_HASH }],
    pod: [{ ...T, dockerconfigjson: config({ 'https://index.docker.io/v1/': { auth: b64('user:pass') } }) }],
    rule: 'IdenticalCredentials',
    useLocal: true,
  },
];

function decide(row: Row, imagePullPolicy: 'IfNotPresent' | 'Never') {
  const image = row.image ?? IMAGE;
  const input: PullDecisionInput = {
    image,
    imagePullPolicy,
    node: { images: [{ references: [image], digest: D1, pulledWith: row.recorded.map((secret) => ({ secret })) }], credentialVerification: { policy: 'AlwaysVerify' } },
    pod: { namespace: 'team', imagePullSecrets: row.pod },
    registry: { digest: D1 },
  };
  return decidePull(input);
}

describe('credential identity and the Secrets that count (issue 12, items 1 and 2)', () => {
  it.each(rows.map((row) => [row.name, row.source, row] as const))('%s — %s', (_name, _source, row) => {
    const ifNotPresent = decide(row, 'IfNotPresent');
    expect(ifNotPresent.credentialVerification).toMatchObject({ required: true, outcome: row.useLocal ? 'Verified' : 'MustPull', rule: row.rule });
    expect(ifNotPresent.credentialVerification.assumed).toHaveLength(row.assumed ?? 0);
    const never = decide(row, 'Never');
    if (row.useLocal) {
      expect(ifNotPresent).toMatchObject({ action: 'UseLocal', reason: 'ImagePresent' });
      expect(never).toMatchObject({ action: 'UseLocal', reason: 'ImagePresent' });
    } else {
      expect(ifNotPresent).toMatchObject({ action: 'Pull', reason: 'CredentialsNotVerified' });
      // image_manager.go#imageNotPresentOnNeverPolicyError: presence is hidden
      expect(never).toMatchObject({ action: 'Fail', reason: 'ErrImageNeverPull', message: `Container image "${row.image ?? IMAGE}" is not present with pull policy of Never` });
    }
  });

  it('the answer names a Secret that does not count, and why', () => {
    const decision = decide(rows[4], 'IfNotPresent');
    expect(decision.credentialVerification.message).toContain('Secret team/regcred has no entry for registry.io/team/app, so the kubelet does not compare it');
  });

  it('says what it assumed about a Secret given as a hash only', () => {
    expect(decide(rows[8], 'IfNotPresent').credentialVerification.assumed).toEqual([
      'pod.imagePullSecrets[0] (team/copy) was given as a hash only: assumed to have an entry for registry.io/team/app, with that hash as the hashAuthConfig of its credential',
    ]);
  });

  it('warns when a recorded Secret\'s content cannot be what pulled the image', () => {
    const decision = decide(rows[11], 'IfNotPresent');
    expect(decision.warnings.join('\n')).toContain('node.images[0].pulledWith[0].secret (team/regcred) has no entry for registry.io/team/app');
  });

  it('coordinates match only while the record lists fewer than 100 secrets (image_pull_manager.go#MustAttemptImagePull: writeRecordWhileMatchingLimit)', () => {
    const many = Array.from({ length: 100 }, (_, i) => ({ namespace: 'team', name: `s${i}`, uid: `u${i}`, hash: 'f'.repeat(64) }));
    const input = (recorded: SecretInput[]): PullDecisionInput => ({
      image: IMAGE,
      node: { images: [{ references: [IMAGE], pulledWith: recorded.map((secret) => ({ secret })) }], credentialVerification: { policy: 'AlwaysVerify' } },
      pod: { namespace: 'team', imagePullSecrets: [{ namespace: 'team', name: 's0', uid: 'u0', dockerconfigjson: AUTH_FORM }] },
      registry: {},
    });
    expect(decidePull(input(many.slice(0, 99))).credentialVerification.rule).toBe('RotatedSecret');
    expect(decidePull(input(many)).credentialVerification.rule).toBe('CredentialsDiffer');
  });
});

describe('podSecretIdentities (image_manager.go getPodCredentials over one keyring of the pod\'s Secrets)', () => {
  const source = (secret: SecretInput, index: number) => secretIdentity(secret, 'team', `pod.imagePullSecrets[${index}]`);

  it('orders the matches as keyring.Lookup does (most specific key first) and tags each with its Secret', () => {
    const secrets = [
      { ...S, dockerconfigjson: config({ 'registry.io': { auth: b64('a:1') } }) },
      { ...T, dockerconfigjson: config({ 'registry.io/team': { auth: b64('b:2') }, 'other.io': { auth: b64('c:3') } }) },
    ].map(source);
    const { identities, withoutEntry, assumed } = podSecretIdentities(secrets, 'registry.io/team/app');
    expect(identities).toEqual([
      { ...T, hash: hashAuthConfig({ username: 'b', password: '2' }) },
      { ...S, hash: hashAuthConfig({ username: 'a', password: '1' }) },
    ]);
    expect(withoutEntry).toEqual([]);
    expect(assumed).toEqual([]);
    expect(podSecretIdentities(secrets, 'other.io/x').identities).toEqual([{ ...T, hash: hashAuthConfig({ username: 'c', password: '3' }) }]);
    expect(podSecretIdentities(secrets, 'elsewhere.io/x').withoutEntry.map((s) => s.name)).toEqual(['regcred', 'copy']);
  });

  it('content the kubelet cannot read is a 400 naming the field (secrets.MakeDockerKeyring fails)', () => {
    let error: unknown;
    try {
      source({ ...S, dockerconfigjson: config({ 'registry.io': { auth: 'dXNlcg==' } }) }, 2);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe(ErrorCode.InvalidRequest);
    expect((error as ApiError).message).toMatch(/^pod\.imagePullSecrets\[2\]\.dockerconfigjson: an "auth" field is not base64\(username:password\)/);
  });
});

/**
 * Credential verification for images already on the node (kubernetes-semantics.md section 4; KEP-2535,
 * kubelet `pkg/kubelet/images/pullmanager`). Pure: hashing is computation, not I/O.
 */
import { ApiError, ErrorCode } from '../common/errors.js';
import { goTrimSpace } from '../common/go-strings.js';
import { parseReference } from '../reference/parse.js';
import { CredentialsError, type DockerConfigEntry, Keyring, readDockerConfig } from '../common/docker-credentials.js';
import {
  type CredentialVerification,
  type CredentialVerificationInput,
  DEFAULT_VERIFICATION_POLICY,
  type PulledBy,
  type SecretInput,
  type ServiceAccountInput,
  VERIFICATION_POLICIES,
  type VerificationPolicy,
} from './decision.types.js';

const invalid = (message: string): ApiError => new ApiError(ErrorCode.InvalidRequest, message);

/** A secret as the kubelet compares it (kubeletconfig `ImagePullSecret`): coordinates and credential hash. */
export interface SecretIdentity {
  namespace: string;
  name: string;
  uid: string;
  /**
   * `CredentialHash`: keyring.go `hashAuthConfig` of the Secret's credential for the image's registry (lower-case
   * hex sha256 of the JSON of `AuthConfig{Username, Password, Email}`), or a caller's hash as given; '' when
   * unknown (an empty hash never matches, as in the kubelet).
   */
  hash: string;
}

export interface ServiceAccountIdentity {
  namespace: string;
  name: string;
  uid: string;
}

/** Reads `.dockerconfigjson` content given as JSON text or as base64 (the form of `Secret.data`). */
export function dockerConfigBytes(content: string, field: string): Buffer {
  const trimmed = content.trim();
  if (trimmed.startsWith('{')) return Buffer.from(content, 'utf8');
  if (/^[A-Za-z0-9+/=\s]+$/.test(trimmed)) {
    const decoded = Buffer.from(trimmed.replace(/\s+/g, ''), 'base64');
    if (decoded.toString('utf8').trim().startsWith('{')) return decoded;
  }
  throw invalid(`${field} must be the .dockerconfigjson content: JSON text or base64-encoded JSON`);
}

/** Normalises a caller's hash: lower case, an optional `sha256:` prefix removed. */
export function normaliseHash(hash: string): string {
  const lower = hash.trim().toLowerCase();
  return lower.startsWith('sha256:') ? lower.slice('sha256:'.length) : lower;
}

/**
 * A Secret as the caller gave it, before the image is known: its coordinates, the credential hash the caller
 * gave (compared as given), and its `.dockerconfigjson` read as the kubelet reads it (common/docker-credentials.ts
 * `readDockerConfig`). Which of its entries count depends on the image (`podSecretIdentities`, `recordedSecretIdentity`).
 */
export interface SecretSource {
  namespace: string;
  name: string;
  uid: string;
  /** The caller's `hash`, normalised; null when not given. */
  hash: string | null;
  /** The entries of its `.dockerconfigjson`; null when no content was given. */
  entries: Record<string, DockerConfigEntry> | null;
  /** Where it came from in the input (for messages). */
  field: string;
}

/**
 * Reads a Secret of the input. Content the kubelet cannot read (not JSON, an entry that is not an object, an
 * `auth` that is not base64(username:password)) is an `InvalidRequest` naming the field: `secrets.MakeDockerKeyring`
 * fails on it, and with it every pull and credential check of the pod (image_manager.go `makeLookupPullCredentialsFunc`).
 */
export function secretIdentity(secret: SecretInput, defaultNamespace: string, field: string): SecretSource {
  const hash = typeof secret.hash === 'string' && secret.hash.trim() !== '' ? normaliseHash(secret.hash) : null;
  let entries: Record<string, DockerConfigEntry> | null = null;
  if (typeof secret.dockerconfigjson === 'string') {
    const at = `${field}.dockerconfigjson`;
    try {
      entries = readDockerConfig(dockerConfigBytes(secret.dockerconfigjson, at).toString('utf8'), at);
    } catch (err) {
      if (err instanceof CredentialsError) {
        throw invalid(`${err.message} (the kubelet cannot build the pod's keyring from it, so every pull and credential check with this Secret fails)`);
      }
      throw err;
    }
  }
  return { namespace: secret.namespace ?? defaultNamespace, name: secret.name, uid: secret.uid ?? '', hash, entries, field };
}

const label = (secret: { namespace: string; name: string }): string => `${secret.namespace}/${secret.name}`;

/** What the pod's Secrets count for one image, and what the service had to assume about them. */
export interface PodSecretIdentities {
  /** In the order the kubelet compares them (keyring order: most specific key first). */
  identities: SecretIdentity[];
  /** Secrets given with content that holds no entry for the image: the kubelet never compares them. */
  withoutEntry: SecretSource[];
  assumed: string[];
}

/**
 * The pod's credentials for the image as the kubelet gathers them (image_manager.go `EnsureImageExists`,
 * getPodCredentials): `keyring.Lookup(repoToPull)` over one keyring of all the pod's Secrets
 * (credentialprovider/secrets `MakeDockerKeyring`, keyring.go `BasicDockerKeyring.Lookup`), keeping the matches
 * that came from a Secret, each as the Secret's coordinates and the `hashAuthConfig` of the matched entry. A
 * Secret without an entry for the image's registry gives nothing, whatever its coordinates. A Secret given by
 * `hash` only, or by coordinates only, cannot be looked up: it is taken to have an entry, and the answer says so.
 */
export function podSecretIdentities(secrets: readonly SecretSource[], name: string): PodSecretIdentities {
  const withContent = secrets.filter((secret) => secret.entries !== null);
  const ring = new Keyring(
    withContent.map((secret) => {
      const tagged: Record<string, { secret: SecretSource; hash: string }> = {};
      for (const [location, entry] of Object.entries(secret.entries ?? {})) tagged[location] = { secret, hash: secret.hash ?? entry.authConfigHash };
      return tagged;
    }),
  );
  const matches = ring.lookup(name);
  const identities: SecretIdentity[] = [];
  for (const { secret, hash } of matches) {
    // A caller's hash stands for the Secret's credential for this image: one identity, however many entries match.
    if (secret.hash !== null && identities.some((known) => known.hash === hash && known.uid === secret.uid && known.name === secret.name && known.namespace === secret.namespace)) continue;
    identities.push({ namespace: secret.namespace, name: secret.name, uid: secret.uid, hash });
  }
  const withoutEntry = withContent.filter((secret) => !matches.some((match) => match.secret === secret));
  const assumed: string[] = [];
  for (const secret of secrets) {
    if (secret.entries !== null) continue;
    identities.push({ namespace: secret.namespace, name: secret.name, uid: secret.uid, hash: secret.hash ?? '' });
    assumed.push(
      secret.hash !== null
        ? `${secret.field} (${label(secret)}) was given as a hash only: assumed to have an entry for ${name}, with that hash as the hashAuthConfig of its credential`
        : `${secret.field} (${label(secret)}) was given without hash or content: assumed to have an entry for ${name}; its credential hash is unknown, so only its coordinates are compared`,
    );
  }
  return { identities, withoutEntry, assumed };
}

/**
 * The Secret a kubelet pull recorded for the repository `name` (image_manager.go `trackedToImagePullCreds`: the
 * coordinates and `AuthConfigHash` of the credential the pull used). A `hash` is that recorded hash, compared
 * as given. Content is resolved like the pod's (`keyring.Lookup(name)`): the service cannot know which
 * matching entry the kubelet's pull used, so it takes the first the puller tries and says so when there were
 * several. Content without an entry for `name` cannot have pulled it: its coordinates are kept, its hash is unknown.
 */
export function recordedSecretIdentity(secret: SecretSource, name: string): { identity: SecretIdentity; assumed: string[]; warnings: string[] } {
  const identity = (hash: string): SecretIdentity => ({ namespace: secret.namespace, name: secret.name, uid: secret.uid, hash });
  if (secret.hash !== null) return { identity: identity(secret.hash), assumed: [], warnings: [] };
  if (secret.entries === null) {
    return {
      identity: identity(''),
      assumed: [`${secret.field} (${label(secret)}) was given without hash or content: the credential hash the kubelet recorded is unknown, so only its coordinates are compared`],
      warnings: [],
    };
  }
  const matches = new Keyring([secret.entries]).lookup(name);
  if (matches.length === 0) {
    const text = `${secret.field} (${label(secret)}) has no entry for ${name}, so it is not the content the kubelet pulled with: its coordinates are kept, the credential hash the kubelet recorded is unknown`;
    return { identity: identity(''), assumed: [text], warnings: [text] };
  }
  const assumed =
    matches.length > 1
      ? [`${secret.field} (${label(secret)}) has ${matches.length} entries for ${name}: the kubelet recorded the one its pull succeeded with; assumed the first it tries (keyring order)`]
      : [];
  return { identity: identity(matches[0].authConfigHash), assumed, warnings: [] };
}

export function serviceAccountIdentity(account: ServiceAccountInput, defaultNamespace: string): ServiceAccountIdentity {
  return { namespace: account.namespace ?? defaultNamespace, name: account.name, uid: account.uid ?? '' };
}

// ---------------------------------------------------------------------------------------------------
// Kubelet configuration: policy and allowlist (validated as the kubelet validates its configuration)
// ---------------------------------------------------------------------------------------------------

export interface AllowlistPattern {
  pattern: string;
  /** `registry.io/team/` for `registry.io/team/*`, or the exact normalised name. */
  match: string;
  wildcard: boolean;
}

export interface VerificationConfig {
  enabled: boolean;
  policy: VerificationPolicy;
  allowlist: AllowlistPattern[];
  warnings: string[];
}

/** `getAllowlistImagePattern` of the kubelet: the normalised pattern or its error text. */
export function allowlistPattern(pattern: string): AllowlistPattern | string {
  // pkg/kubelet/images/pullmanager/image_pull_policies.go getAllowlistImagePattern: `pattern != strings.TrimSpace(pattern)`
  // (Go's white space, not JavaScript's trim(): U+0085 counts, U+FEFF does not).
  if (pattern !== goTrimSpace(pattern)) return `leading/trailing spaces are not allowed: ${pattern}`;
  let trimmed = pattern;
  const wildcard = pattern.endsWith('/*');
  if (wildcard) trimmed = trimmed.slice(0, -1);
  if (trimmed.length === 0) return `the supplied pattern is too short: ${pattern}`;
  if (trimmed.includes('*')) return `not a valid wildcard pattern, only patterns ending with '/*' are allowed: ${pattern}`;
  if (wildcard) {
    if (trimmed.length === 1) return 'at least registry hostname is required';
    return { pattern, match: trimmed, wildcard: true };
  }
  const parsed = parseReference(trimmed);
  if (!parsed.ok) return `failed to parse as an image name: ${parsed.error}`;
  if (trimmed !== parsed.reference.name) return `neither tag nor digest is accepted in an image reference: ${pattern}`;
  return { pattern, match: trimmed, wildcard: false };
}

const ALLOWLIST_WITHOUT_POLICY =
  'invalid configuration: can\'t set `preloadedImagesVerificationAllowlist` if `imagePullCredentialsVertificationPolicy` is not "NeverVerifyAllowlistedImages"';

/**
 * Reads `node.credentialVerification`. An unknown policy name or a bad allowlist entry is an
 * `InvalidRequest` naming it, with the kubelet's own configuration error text.
 */
export function verificationConfig(input: CredentialVerificationInput | undefined, field = 'node.credentialVerification'): VerificationConfig {
  const warnings: string[] = [];
  if (input === undefined || input === null) {
    return { enabled: false, policy: DEFAULT_VERIFICATION_POLICY, allowlist: [], warnings };
  }
  const enabled = input.enabled !== false;
  const rawPolicy = input.policy ?? DEFAULT_VERIFICATION_POLICY;
  if (!(VERIFICATION_POLICIES as readonly string[]).includes(rawPolicy)) {
    const hint =
      rawPolicy === 'NeverVerifyAllowListedImages'
        ? ' (the Kubernetes documentation spells it NeverVerifyAllowListedImages; the kubelet only accepts NeverVerifyAllowlistedImages)'
        : '';
    throw invalid(
      `${field}.policy: invalid configuration: option ${JSON.stringify(rawPolicy)} specified for imagePullCredentialsVerificationPolicy. ` +
        `Valid options are "NeverVerify", "NeverVerifyPreloadedImages", "NeverVerifyAllowlistedImages" or "AlwaysVerify"${hint}`,
    );
  }
  const policy = rawPolicy as VerificationPolicy;
  const entries = input.allowlist ?? [];
  if (entries.length > 0 && policy !== 'NeverVerifyAllowlistedImages') throw invalid(`${field}.allowlist: ${ALLOWLIST_WITHOUT_POLICY}`);
  const allowlist: AllowlistPattern[] = [];
  entries.forEach((entry, index) => {
    const result = allowlistPattern(entry);
    if (typeof result === 'string') {
      const hint = hintForAllowlistEntry(entry);
      throw invalid(`${field}.allowlist[${index}]: invalid configuration: invalid image pattern in \`preloadedImagesVerificationAllowlist\`: ${result}${hint}`);
    }
    allowlist.push(result);
  });
  if (!enabled && (input.policy !== undefined || entries.length > 0)) {
    warnings.push(
      'the kubelet refuses to start with imagePullCredentialsVerificationPolicy or preloadedImagesVerificationAllowlist set while the ' +
        'KubeletEnsureSecretPulledImages feature gate is off; they are ignored here',
    );
  }
  return { enabled, policy, allowlist, warnings };
}

function hintForAllowlistEntry(entry: string): string {
  const parsed = parseReference(entry.trim().replace(/\/\*$/, ''));
  if (!parsed.ok || entry.endsWith('/*')) return '';
  return parsed.reference.name !== entry ? ` (use the fully normalised name without tag or digest: ${parsed.reference.name})` : '';
}

/** `NeverVerifyAllowlistedImages.imageMatches`: the image's normalised name against the allowlist. */
export function allowlistMatches(allowlist: readonly AllowlistPattern[], name: string): AllowlistPattern | null {
  for (const entry of allowlist) {
    if (entry.wildcard ? name.startsWith(entry.match) : name === entry.match) return entry;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// The verification itself (PullManager.MustAttemptImagePull and the policy enforcers)
// ---------------------------------------------------------------------------------------------------

/** The kubelet's pulled record for one image on the node, per normalised repository name. */
export interface PulledRecord {
  pulledBy: PulledBy;
  /** Credentials per repository name (the record's `credentialMapping`); absent names have no credential record. */
  credentials: Map<string, RecordCredentials>;
}

export interface RecordCredentials {
  nodeAccessible: boolean;
  secrets: SecretIdentity[];
  serviceAccounts: ServiceAccountIdentity[];
  /** What the service assumed about the recorded secrets (see `recordedSecretIdentity`). */
  assumed: string[];
}

export interface PodCredentials {
  /** The pod's Secrets as given; which of their entries count is decided per image (`podSecretIdentities`). */
  secrets: SecretSource[];
  serviceAccount: ServiceAccountIdentity | null;
}

function result(
  config: VerificationConfig,
  required: boolean,
  outcome: CredentialVerification['outcome'],
  rule: CredentialVerification['rule'],
  message: string,
  assumed: string[] = [],
): CredentialVerification {
  return { enabled: config.enabled, policy: config.enabled ? config.policy : null, required, outcome, rule, message, assumed };
}

/** Verification does not apply (gate off, Always, image absent or unparsable). */
export function notApplicable(config: VerificationConfig, rule: 'FeatureDisabled' | 'PolicyAlways' | 'ImageNotPresent' | 'InvalidImage'): CredentialVerification {
  const messages = {
    FeatureDisabled: 'the KubeletEnsureSecretPulledImages feature gate is off: an image on the node is used by any pod',
    PolicyAlways: 'imagePullPolicy Always: the pull itself checks the pod\'s credentials at the registry',
    ImageNotPresent: 'the image is not on the node',
    InvalidImage: 'the image cannot be parsed',
  } as const;
  if (!config.enabled && rule !== 'InvalidImage') return result(config, false, 'NotApplicable', 'FeatureDisabled', messages.FeatureDisabled);
  return result(config, false, 'NotApplicable', rule, messages[rule]);
}

/**
 * Decides whether a pod may use an image that is on the node (IfNotPresent / Never) or must pull it
 * with its own credentials. `name` is the requested image's normalised repository name.
 */
export function verifyCredentials(config: VerificationConfig, name: string, record: PulledRecord, pod: PodCredentials): CredentialVerification {
  const pulledByKubelet = record.pulledBy !== 'preloaded';
  switch (config.policy) {
    case 'NeverVerify':
      return result(config, false, 'Skipped', 'NeverVerify', 'policy NeverVerify: images on the node are used without checking credentials');
    case 'NeverVerifyPreloadedImages':
      if (!pulledByKubelet) {
        return result(config, false, 'Skipped', 'Preloaded', 'policy NeverVerifyPreloadedImages: the image was not pulled by the kubelet (preloaded), so it is used without checking credentials');
      }
      break;
    case 'NeverVerifyAllowlistedImages': {
      const entry = allowlistMatches(config.allowlist, name);
      if (entry !== null) {
        return result(config, false, 'Skipped', 'Allowlisted', `policy NeverVerifyAllowlistedImages: ${name} matches the allowlist entry ${JSON.stringify(entry.pattern)}, so it is used without checking credentials`);
      }
      break;
    }
    case 'AlwaysVerify':
      break;
  }
  const why = config.policy === 'NeverVerifyAllowlistedImages' ? `${name} is not on the allowlist` : config.policy === 'AlwaysVerify' ? 'policy AlwaysVerify' : 'the kubelet pulled this image';
  if (record.pulledBy !== 'kubelet') {
    return result(
      config,
      true,
      'MustPull',
      'NoPulledRecord',
      `${why}, and there is no record of a completed kubelet pull (${record.pulledBy === 'preloaded' ? 'the image was preloaded' : 'only a pull intent was recorded'}): the pod must pull it with its own credentials`,
    );
  }
  const cached = record.credentials.get(name);
  if (cached === undefined) {
    const others = [...record.credentials.keys()];
    return others.length > 0
      ? result(config, true, 'MustPull', 'PulledUnderOtherName', `${why}, but it was pulled as ${others.join(', ')}, not ${name}: the pod must pull it with its own credentials`)
      : result(config, true, 'MustPull', 'NoCredentialRecord', `${why}, and the pulled record has no credentials for ${name}: the pod must pull it with its own credentials`);
  }
  if (cached.nodeAccessible) {
    return result(config, true, 'Verified', 'NodeAccessible', 'the image was pulled anonymously or with node credentials: every pod on the node may use it');
  }
  if (cached.secrets.length === 0 && cached.serviceAccounts.length === 0) {
    return result(config, true, 'MustPull', 'NoCredentialRecord', `${why}, and the pulled record lists no credentials: the pod must pull it with its own credentials`);
  }
  // image_manager.go getPodCredentials: only the pod's credentials for this image, from its Secrets (keyring.Lookup).
  const podSecrets = podSecretIdentities(pod.secrets, name);
  const assumed = cached.secrets.length > 0 ? [...cached.assumed, ...podSecrets.assumed] : [];
  // image_pull_manager.go MustAttemptImagePull: every pod secret against every recorded one, the first match wins.
  for (const podSecret of podSecrets.identities) {
    for (const cachedSecret of cached.secrets) {
      const hashesMatch = cachedSecret.hash.length > 0 && podSecret.hash === cachedSecret.hash;
      const coordinatesMatch = podSecret.uid === cachedSecret.uid && podSecret.namespace === cachedSecret.namespace && podSecret.name === cachedSecret.name;
      const pods = label(podSecret);
      if (hashesMatch && coordinatesMatch) {
        return result(config, true, 'Verified', 'SameSecret', `the pod has Secret ${pods}, which pulled the image`, assumed);
      }
      if (hashesMatch) {
        return result(
          config,
          true,
          'Verified',
          'IdenticalCredentials',
          `the pod's Secret ${pods} holds the same credential for ${name} (hashAuthConfig of username, password and email) as Secret ${label(cachedSecret)}, which pulled the image`,
          assumed,
        );
      }
      // The kubelet returns on matching coordinates only while the record lists fewer than writeRecordWhileMatchingLimit
      // (100) secrets: its `return false` sits inside that check.
      if (coordinatesMatch && cached.secrets.length < WRITE_RECORD_WHILE_MATCHING_LIMIT) {
        return result(config, true, 'Verified', 'RotatedSecret', `the pod has Secret ${pods} (same UID), which pulled the image; its content was rotated in place`, assumed);
      }
    }
  }
  if (pod.serviceAccount !== null) {
    const account = pod.serviceAccount;
    if (cached.serviceAccounts.some((a) => a.uid === account.uid && a.namespace === account.namespace && a.name === account.name)) {
      return result(config, true, 'Verified', 'SameServiceAccount', `the pod's service account ${account.namespace}/${account.name} pulled the image`, assumed);
    }
  }
  const has =
    podSecrets.identities.length === 0 && pod.serviceAccount === null
      ? 'the pod has no pull credentials for it'
      : 'the pod\'s credentials for it differ from those that pulled the image';
  const ignored =
    podSecrets.withoutEntry.length > 0
      ? ` (${podSecrets.withoutEntry.map((secret) => `Secret ${label(secret)}`).join(', ')} ${podSecrets.withoutEntry.length === 1 ? 'has' : 'have'} no entry for ${name}, so the kubelet does not compare ${podSecrets.withoutEntry.length === 1 ? 'it' : 'them'})`
      : '';
  return result(config, true, 'MustPull', 'CredentialsDiffer', `${why}, and ${has}${ignored}: the pod must pull it with its own credentials`, assumed);
}

/** image_pull_manager.go `writeRecordWhileMatchingLimit`. */
const WRITE_RECORD_WHILE_MATCHING_LIMIT = 100;

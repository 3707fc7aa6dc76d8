/**
 * Credential verification for images already on the node (kubernetes-semantics.md section 4; KEP-2535,
 * kubelet `pkg/kubelet/images/pullmanager`). Pure: hashing is computation, not I/O.
 */
import { createHash } from 'node:crypto';
import { ApiError, ErrorCode } from '../common/errors.js';
import { goTrimSpace } from '../common/go-strings.js';
import { parseReference } from '../reference/parse.js';
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

/** A secret as the kubelet compares it: coordinates and credential hash. */
export interface SecretIdentity {
  namespace: string;
  name: string;
  uid: string;
  /** Lower-case hex sha256, or '' when unknown (an empty hash never matches, as in the kubelet). */
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

/** The credential identity of `.dockerconfigjson` content: lower-case hex sha256 of its bytes. */
export function hashDockerConfig(content: string, field = 'dockerconfigjson'): string {
  return createHash('sha256').update(dockerConfigBytes(content, field)).digest('hex');
}

/** Normalises a caller's hash: lower case, an optional `sha256:` prefix removed. */
export function normaliseHash(hash: string): string {
  const lower = hash.trim().toLowerCase();
  return lower.startsWith('sha256:') ? lower.slice('sha256:'.length) : lower;
}

export function secretIdentity(secret: SecretInput, defaultNamespace: string, field: string): SecretIdentity {
  let hash = '';
  if (typeof secret.hash === 'string' && secret.hash.trim() !== '') hash = normaliseHash(secret.hash);
  else if (typeof secret.dockerconfigjson === 'string') hash = hashDockerConfig(secret.dockerconfigjson, `${field}.dockerconfigjson`);
  return { namespace: secret.namespace ?? defaultNamespace, name: secret.name, uid: secret.uid ?? '', hash };
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
}

export interface PodCredentials {
  secrets: SecretIdentity[];
  serviceAccount: ServiceAccountIdentity | null;
}

function result(
  config: VerificationConfig,
  required: boolean,
  outcome: CredentialVerification['outcome'],
  rule: CredentialVerification['rule'],
  message: string,
): CredentialVerification {
  return { enabled: config.enabled, policy: config.enabled ? config.policy : null, required, outcome, rule, message };
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
  for (const podSecret of pod.secrets) {
    for (const cachedSecret of cached.secrets) {
      const hashesMatch = cachedSecret.hash.length > 0 && podSecret.hash === cachedSecret.hash;
      const coordinatesMatch = podSecret.uid === cachedSecret.uid && podSecret.namespace === cachedSecret.namespace && podSecret.name === cachedSecret.name;
      const label = `${podSecret.namespace}/${podSecret.name}`;
      if (hashesMatch && coordinatesMatch) {
        return result(config, true, 'Verified', 'SameSecret', `the pod has Secret ${label}, which pulled the image`);
      }
      if (hashesMatch) {
        return result(config, true, 'Verified', 'IdenticalCredentials', `the pod's Secret ${label} holds byte-identical credentials to Secret ${cachedSecret.namespace}/${cachedSecret.name}, which pulled the image`);
      }
      if (coordinatesMatch) {
        return result(config, true, 'Verified', 'RotatedSecret', `the pod has Secret ${label} (same UID), which pulled the image; its content was rotated in place`);
      }
    }
  }
  if (pod.serviceAccount !== null) {
    const account = pod.serviceAccount;
    if (cached.serviceAccounts.some((a) => a.uid === account.uid && a.namespace === account.namespace && a.name === account.name)) {
      return result(config, true, 'Verified', 'SameServiceAccount', `the pod's service account ${account.namespace}/${account.name} pulled the image`);
    }
  }
  const has = pod.secrets.length === 0 && pod.serviceAccount === null ? 'the pod has no pull credentials' : 'the pod\'s credentials differ from those that pulled the image';
  return result(config, true, 'MustPull', 'CredentialsDiffer', `${why}, and ${has}: the pod must pull it with its own credentials`);
}

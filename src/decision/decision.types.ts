/**
 * Input and output of the kubelet pull decision (`POST /v1/pull-decisions`, GraphQL `pullDecision`).
 * Plain data only; see decide.ts for the rules.
 */
import type { PluginReport } from '../common/plugin-run.js';
import type { GateStage } from '../pull-policy/kubernetes-release.js';
import type { PullPolicy } from '../reference/parsed-reference.js';

export type { PluginReport, PullPolicy };

/** How the image reached the node (the kubelet's records, KEP-2535). */
export type PulledBy = 'preloaded' | 'kubelet' | 'pullIntent';
export const PULLED_BY: readonly PulledBy[] = ['preloaded', 'kubelet', 'pullIntent'];

/** The kubelet setting `imagePullCredentialsVerificationPolicy`. */
export type VerificationPolicy = 'NeverVerify' | 'NeverVerifyPreloadedImages' | 'NeverVerifyAllowlistedImages' | 'AlwaysVerify';
export const VERIFICATION_POLICIES: readonly VerificationPolicy[] = [
  'NeverVerify',
  'NeverVerifyPreloadedImages',
  'NeverVerifyAllowlistedImages',
  'AlwaysVerify',
];
export const DEFAULT_VERIFICATION_POLICY: VerificationPolicy = 'NeverVerifyPreloadedImages';

/** A Kubernetes Secret of type dockerconfigjson, identified as the kubelet identifies it. */
export interface SecretInput {
  /** Defaults to the pod's namespace. */
  namespace?: string;
  name: string;
  uid?: string;
  /**
   * The credential hash the kubelet compares (KEP-2535): keyring.go `hashAuthConfig` of the Secret's credential
   * for the image's registry — lower-case hex sha256 of the JSON of `AuthConfig{Username, Password, Email}` — as
   * the kubelet records it in its pulled records. Compared as given (a `sha256:` prefix and upper case are
   * accepted). Issue 12 replaced the earlier contract, the sha256 of the `.dockerconfigjson` bytes.
   */
  hash?: string;
  /**
   * The `.dockerconfigjson` content (JSON, or base64 as in `Secret.data`): read with the kubelet's keyring rules for
   * the image decided; only its entries for that registry count, each hashed as the kubelet hashes it.
   */
  dockerconfigjson?: string;
}

export interface ServiceAccountInput {
  namespace?: string;
  name: string;
  uid?: string;
}

/** One credential the kubelet recorded for a pull: exactly one of anonymous, secret, serviceAccount. */
export interface PulledWithInput {
  /** Pulled anonymously or with node credentials: every pod on the node may use the image. */
  anonymous?: boolean;
  secret?: SecretInput;
  serviceAccount?: ServiceAccountInput;
  /** The repository the pull was for (any spelling, normalised); default: every repository of the image's references. */
  repository?: string;
}

export interface NodeImageInput {
  /** The image's names on the node, e.g. `nginx:1.25`, `nginx@sha256:…` (normalised as the runtime does). */
  references: string[];
  /** The image's repository digest (the index digest for multi-architecture images). */
  digest?: string;
  /** Default: `kubelet` when `pulledWith` is given, otherwise `preloaded`. */
  pulledBy?: PulledBy;
  /** The kubelet's pulled record: which credentials pulled it (kubelet-pulled images only). */
  pulledWith?: PulledWithInput[];
}

export interface CredentialVerificationInput {
  /**
   * Feature gate KubeletEnsureSecretPulledImages (alpha, off in 1.33–1.34; beta, on from 1.35). Default true when this
   * object is given; without the object, the default of `node.kubeletVersion`'s release (kubelet-versions.ts).
   */
  enabled?: boolean;
  /** Default `NeverVerifyPreloadedImages`. */
  policy?: string;
  /** `preloadedImagesVerificationAllowlist`: normalised names without tag or digest, or prefixes ending in `/*`. */
  allowlist?: string[];
}

export interface NodeInput {
  images?: NodeImageInput[];
  /** `os/architecture[/variant]`, e.g. `linux/arm64`. */
  platform?: string;
  credentialVerification?: CredentialVerificationInput;
  /**
   * The kubelet's release: `1.33` … `1.37` (also `v1.35.2`, `v1.35.2-eks-…`). Decides the feature gates' defaults
   * (kubelet-versions.ts); absent: the newest modelled release, and the answer says it was assumed.
   */
  kubeletVersion?: string;
  /** Simulates the runtime failing to inspect images (ImageInspectError). */
  inspectError?: string;
}

export interface PodInput {
  namespace?: string;
  name?: string;
  imagePullSecrets?: SecretInput[];
  serviceAccount?: ServiceAccountInput;
}

/** A caller's simulation of the registry (what-if queries); the registry is then not contacted. */
export interface SimulatedRegistryInput {
  /** Default true. False: unreachable (network error, 5xx, timeout). */
  available?: boolean;
  /** Default true. False: the manifest is unknown (404). */
  exists?: boolean;
  /** Default true. False: the pod's credentials are refused (401/403). */
  authorized?: boolean;
  /** The digest the reference resolves to now. */
  digest?: string;
  /** Platforms the image offers; with `node.platform` set, a missing one fails the pull. */
  platforms?: string[];
}

export interface PullDecisionInput {
  image: string;
  imagePullPolicy?: string | null;
  alwaysPullImages?: boolean;
  node?: NodeInput;
  pod?: PodInput;
  registry?: SimulatedRegistryInput;
  /** Also ask the registry for images used from the node with a mutable tag, to warn about drift. */
  detectDrift?: boolean;
  /** Free-form context for plugins (namespace, labels, …). */
  context?: Record<string, unknown>;
}

export const PULL_ACTIONS = ['UseLocal', 'Pull', 'Fail'] as const;
export type PullAction = (typeof PULL_ACTIONS)[number];
export const POLICY_SOURCES = ['given', 'defaulted', 'alwaysPullImages', 'plugin'] as const;
export type PolicySource = (typeof POLICY_SOURCES)[number];

/**
 * Why the action was chosen. For `Fail` it is the kubelet's own error name.
 * - UseLocal: `ImagePresent` (IfNotPresent/Never, image on the node), `DigestPresent` (Always: the registry's
 *   digest is already on the node, nothing is downloaded).
 * - Pull: `ImageNotPresent`, `PullPolicyAlways`, `TagMoved` (Always: the node has the tag with other content),
 *   `CredentialsNotVerified` (the image is present but the pod must prove access).
 * - Fail: `InvalidImageName`, `ErrImageNeverPull`, `ErrImagePull`, `ImageInspectError` (the kubelet's), and
 *   `DeniedByPolicy` (an organisation rule plugin denied the image; the pod would not be admitted).
 */
export const DECISION_REASONS = [
  'ImagePresent',
  'DigestPresent',
  'ImageNotPresent',
  'PullPolicyAlways',
  'TagMoved',
  'CredentialsNotVerified',
  'InvalidImageName',
  'ErrImageNeverPull',
  'ErrImagePull',
  'ImageInspectError',
  'DeniedByPolicy',
] as const;
export type DecisionReason = (typeof DECISION_REASONS)[number];

export const KUBELET_EVENT_TYPES = ['Normal', 'Warning'] as const;

export interface KubeletEvent {
  type: (typeof KUBELET_EVENT_TYPES)[number];
  /** The event reason as `kubectl describe pod` shows it: Pulling, Pulled, Failed, BackOff, ErrImageNeverPull, InspectFailed. */
  reason: string;
  message: string;
}

export const VERIFICATION_OUTCOMES = ['NotApplicable', 'Skipped', 'Verified', 'MustPull'] as const;
export type VerificationOutcome = (typeof VERIFICATION_OUTCOMES)[number];
/**
 * The rule that decided: NotApplicable → FeatureDisabled, PolicyAlways, ImageNotPresent, InvalidImage;
 * Skipped → NeverVerify, Preloaded, Allowlisted; Verified → NodeAccessible, SameSecret, RotatedSecret,
 * IdenticalCredentials, SameServiceAccount; MustPull → NoPulledRecord, PulledUnderOtherName,
 * NoCredentialRecord, CredentialsDiffer.
 */
export const VERIFICATION_RULES = [
  'FeatureDisabled',
  'PolicyAlways',
  'ImageNotPresent',
  'InvalidImage',
  'NeverVerify',
  'Preloaded',
  'Allowlisted',
  'NodeAccessible',
  'SameSecret',
  'RotatedSecret',
  'IdenticalCredentials',
  'SameServiceAccount',
  'NoPulledRecord',
  'PulledUnderOtherName',
  'NoCredentialRecord',
  'CredentialsDiffer',
] as const;
export type VerificationRule = (typeof VERIFICATION_RULES)[number];

export interface CredentialVerification {
  enabled: boolean;
  policy: VerificationPolicy | null;
  /** True when the pod must prove access to use the image that is on the node. */
  required: boolean;
  outcome: VerificationOutcome;
  rule: VerificationRule;
  message: string;
  /**
   * What the service had to assume where it cannot know what the kubelet knows — which credential a recorded
   * pull used, whether a Secret given by hash or by coordinates only has an entry for the image's registry.
   * Empty when the comparison needed no assumption (or no comparison was made).
   */
  assumed: string[];
}

export const REGISTRY_STATUSES = ['ok', 'notFound', 'unauthorized', 'unavailable', 'platformMissing', 'unknown'] as const;
export type RegistryStatus = (typeof REGISTRY_STATUSES)[number];
/** Where a registry answer came from: the caller's simulation (`registry`) or a lookup. */
export const REGISTRY_SOURCES = ['simulated', 'lookup'] as const;
export type RegistrySource = (typeof REGISTRY_SOURCES)[number];

/** What the registry said (or the caller's simulation of it). The pure core's only view of the registry. */
export interface RegistryAnswer {
  source: RegistrySource;
  status: RegistryStatus;
  /** The digest the reference resolves to (for a tag: the index digest of a multi-architecture image). */
  digest: string | null;
  /** The platform-specific manifest digest, when the lookup chose one. */
  platformDigest?: string | null;
  /** The answer came from a cache while the registry failed (stale-if-error). */
  stale?: boolean;
  error?: { code: string; message: string } | null;
}

export interface RegistryReport {
  consulted: boolean;
  source: RegistrySource | null;
  /** The reference asked about. */
  reference: string | null;
  status: RegistryStatus | null;
  digest: string | null;
  stale: boolean;
  error: { code: string; message: string } | null;
}

/** What set a kubelet feature gate's value. */
export const GATE_SOURCES = ['kubeletVersion', 'credentialVerification'] as const;

/** A kubelet feature gate as the decision used it. */
export interface FeatureGateReport {
  enabled: boolean;
  /** The release's default (pkg/features/kube_features.go). */
  byDefault: boolean;
  stage: GateStage;
  /** `credentialVerification`: the caller's node.credentialVerification set it; `kubeletVersion`: the release's default. */
  source: (typeof GATE_SOURCES)[number];
}

export interface KubeletReport {
  /** The release modelled (`1.37`). */
  version: string;
  /** True when node.kubeletVersion was not given and the newest modelled release was assumed. */
  assumed: boolean;
  featureGates: { KubeletEnsureSecretPulledImages: FeatureGateReport; ImageVolume: FeatureGateReport };
}

export interface PullDecision {
  image: string;
  imagePullPolicy: PullPolicy;
  policySource: PolicySource;
  action: PullAction;
  reason: DecisionReason;
  /** For Fail: the kubelet's event text; otherwise what happens, in the kubelet's words where it has them. */
  message: string;
  /** What the runtime is asked to pull (by digest when Always resolved the tag); null when nothing is pulled. */
  pullReference: string | null;
  resolvedDigest: string | null;
  localDigest: string | null;
  credentialVerification: CredentialVerification;
  /** Which kubelet the decision modelled: the release (given or assumed) and the gates it decided. */
  kubelet: KubeletReport;
  registry: RegistryReport;
  /** The decisive kubelet event, and every event of this container start in order. */
  event: KubeletEvent | null;
  events: KubeletEvent[];
  /** What `kubectl get pod` shows for a failing start (`state.waiting`). */
  waiting: { reason: string; message: string } | null;
  /** For retried failures: the kubelet retries with back-off (10 s doubling to 300 s, per pod and image). */
  backOff: { reason: 'ImagePullBackOff'; message: string; delaysSeconds: number[] } | null;
  /** The rule plugins' verdicts (operation `decision`), in run order. */
  plugins: PluginReport[];
  warnings: string[];
}

/** Where a decision needs the registry: the reference to resolve, and whether the answer changes the action. */
export interface RegistryQuestion {
  /** The normalised reference (`docker.io/library/nginx:1.25` or `…@sha256:…`). */
  reference: string;
  /** `resolve`: Always needs the current digest; `pull`: a pull must succeed; `drift`: only for a warning. */
  purpose: 'resolve' | 'pull' | 'drift';
  platform: string | null;
  /** The pod's `.dockerconfigjson` contents, to ask with the pod's credentials. */
  pullSecrets: string[];
  /** Some pod secrets were given as hashes only, so the lookup cannot use them. */
  secretsWithoutContent: number;
}

/**
 * Which kubelet: the releases this service models, and the feature gates whose defaults changed between them.
 * Pure: no I/O, no Nest. `featureGates(kubeletVersion)` is the shared answer for the kubelet side (pull decisions,
 * image volumes).
 *
 * The stages are the versioned feature specs of pkg/features/kube_features.go
 * (`defaultVersionedKubernetesFeatureGates`):
 *
 *   KubeletEnsureSecretPulledImages (KEP-2535):
 *     {Version: "1.33", Default: false, PreRelease: Alpha}
 *     {Version: "1.35", Default: true,  PreRelease: Beta}      (kubernetes/kubernetes#135228)
 *     No later stage: the KEP's tracking issue (kubernetes/enhancements#2535) is still stage/beta without a
 *     stable target, so 1.36 and 1.37 keep beta, on by default.
 *   ImageVolume (KEP-4639):
 *     {Version: "1.31", Default: false, PreRelease: Alpha}
 *     {Version: "1.33", Default: false, PreRelease: Beta}
 *     {Version: "1.35", Default: true,  PreRelease: Beta}
 *     {Version: "1.36", Default: true,  PreRelease: GA, LockToDefault: true}   (kubernetes/kubernetes#136711,
 *      "Graduates the ImageVolume feature gate to GA in v1.36, locked to enabled")
 *
 * With KubeletEnsureSecretPulledImages on, the kubelet's configuration defaults
 * `imagePullCredentialsVerificationPolicy` to `NeverVerifyPreloadedImages`
 * (pkg/kubelet/apis/config/v1beta1/defaults.go SetDefaults_KubeletConfiguration), and EnsureImageExists
 * (pkg/kubelet/images/image_manager.go) writes "Container image %q already present on machine and can be accessed
 * by the pod" instead of "… already present on machine" — the only event text that changes between the modelled
 * releases (kubelet-text.ts). The gate, not the release, decides that text, so an explicit
 * `credentialVerification.enabled` changes it too.
 *
 * Versions: `1.35`, `v1.35`, `1.35.2`, `v1.35.2` and a build suffix after the patch (`v1.35.2-eks-4096722`,
 * `v1.36.4+k3s1`: what `kubectl get nodes` shows as VERSION, node.status.nodeInfo.kubeletVersion). Only the minor
 * matters. Anything else is a 400 naming the field and the supported range.
 */
import { ApiError, ErrorCode } from '../common/errors.js';
import type { GateStage } from '../pull-policy/kubernetes-release.js';

/** The kubelet releases modelled, oldest first (1.33: KubeletEnsureSecretPulledImages exists). */
export const KUBELET_VERSIONS = ['1.33', '1.34', '1.35', '1.36', '1.37'] as const;
export type KubeletVersion = (typeof KUBELET_VERSIONS)[number];
/** What an absent `node.kubeletVersion` means: the newest release modelled (also in README and GET /v1/version). */
export const NEWEST_KUBELET_VERSION: KubeletVersion = KUBELET_VERSIONS[KUBELET_VERSIONS.length - 1];

export type { GateStage };
export type KubeletFeatureGate = 'KubeletEnsureSecretPulledImages' | 'ImageVolume';
export const KUBELET_FEATURE_GATES: readonly KubeletFeatureGate[] = ['KubeletEnsureSecretPulledImages', 'ImageVolume'];

interface VersionedSpec {
  /** The minor version of `1.<minor>` from which the row holds. */
  since: number;
  default: boolean;
  stage: GateStage;
  lockToDefault?: boolean;
}

/** pkg/features/kube_features.go, the two gates' versioned specs (see the file comment for the sources). */
const VERSIONED_SPECS: Readonly<Record<KubeletFeatureGate, readonly VersionedSpec[]>> = {
  KubeletEnsureSecretPulledImages: [
    { since: 33, default: false, stage: 'alpha' },
    { since: 35, default: true, stage: 'beta' },
  ],
  ImageVolume: [
    { since: 31, default: false, stage: 'alpha' },
    { since: 33, default: false, stage: 'beta' },
    { since: 35, default: true, stage: 'beta' },
    { since: 36, default: true, stage: 'GA', lockToDefault: true },
  ],
};

/** One gate's default in one release. */
export interface FeatureGateDefault {
  /** The release's default (`Default` of the spec row in force). */
  enabled: boolean;
  stage: GateStage;
  /** GA and locked: the kubelet refuses `--feature-gates=<gate>=false`. */
  lockedToDefault: boolean;
  /** The release from which this row holds (`1.35`). */
  since: string;
}

export type KubeletFeatureGates = Readonly<Record<KubeletFeatureGate, FeatureGateDefault>>;

const SUPPORTED = KUBELET_VERSIONS.join(', ');
/** `1.35`, `v1.35`, `1.35.2`, `v1.35.2-eks-4096722`, `v1.36.4+k3s1`. */
const VERSION_FORM = /^v?1\.(0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,4})(?:[-+][0-9A-Za-z][0-9A-Za-z.+-]{0,63})?)?$/;

/** The kubelet release a version string names. Throws InvalidRequest naming the field and the supported range. */
export function kubeletVersionOf(value: unknown, field = 'node.kubeletVersion'): KubeletVersion {
  const shown = typeof value === 'string' ? JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value) : JSON.stringify(value ?? null);
  const match = typeof value === 'string' ? VERSION_FORM.exec(value) : null;
  const version = match === null ? null : `1.${match[1]}`;
  if (version !== null && (KUBELET_VERSIONS as readonly string[]).includes(version)) return version as KubeletVersion;
  let why = '';
  if (version !== null) {
    const minor = Number(match?.[1]);
    why = minor < 33 ? ' (older kubelets have no KubeletEnsureSecretPulledImages gate; this service models 1.33 on)' : ` (newer than the newest release this service models, ${NEWEST_KUBELET_VERSION})`;
  }
  throw new ApiError(
    ErrorCode.InvalidRequest,
    `${field} must be one of ${SUPPORTED} (a leading "v", a patch and a build suffix are accepted, e.g. "v${NEWEST_KUBELET_VERSION}.2"), got ${shown}${why}`,
  );
}

/**
 * The two gates' defaults in a kubelet release (pkg/features/kube_features.go versioned specs): the shared,
 * pure answer for decisions and image volumes. `kubeletVersion` is a modelled version or any accepted spelling
 * (`v1.35.2`); absent means the newest modelled. Throws InvalidRequest for other values.
 */
export function featureGates(kubeletVersion: string = NEWEST_KUBELET_VERSION): KubeletFeatureGates {
  const minor = Number(kubeletVersionOf(kubeletVersion, 'kubeletVersion').split('.')[1]);
  const gates = {} as Record<KubeletFeatureGate, FeatureGateDefault>;
  for (const gate of KUBELET_FEATURE_GATES) {
    const row = [...VERSIONED_SPECS[gate]].reverse().find((spec) => spec.since <= minor) as VersionedSpec;
    gates[gate] = { enabled: row.default, stage: row.stage, lockedToDefault: row.lockToDefault === true, since: `1.${row.since}` };
  }
  return gates;
}

/** What the decision knows about the kubelet: the release (given or assumed) and its gate defaults. */
export interface KubeletRelease {
  version: KubeletVersion;
  /** True when `node.kubeletVersion` was not given: the newest release was assumed. */
  assumed: boolean;
  gates: KubeletFeatureGates;
}

/** Reads `node.kubeletVersion` (absent or null: the newest release, assumed). */
export function kubeletRelease(value: unknown, field = 'node.kubeletVersion'): KubeletRelease {
  const assumed = value === undefined || value === null;
  const version = assumed ? NEWEST_KUBELET_VERSION : kubeletVersionOf(value, field);
  return { version, assumed, gates: featureGates(version) };
}

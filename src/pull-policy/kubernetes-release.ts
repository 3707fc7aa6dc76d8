/**
 * Which Kubernetes release the API server runs, and the one feature gate of it that changes defaulting
 * here: `ImageVolume` (KEP-4639, pod volumes that mount an OCI image: `volumes[].image.reference` /
 * `.pullPolicy`). Pure: no I/O, no Nest.
 *
 * The gate's stages are those of `pkg/features/kube_features.go` (`defaultVersionedKubernetesFeatureGates`):
 *   1.31 alpha, off by default; 1.33 beta, off by default; 1.35 beta, on by default
 *   (kubernetes/kubernetes#135195, "Move ImageVolume to on by default beta"); 1.36 GA, locked to on
 *   (kubernetes/kubernetes#136711; kubernetes/website#54285 "ImageVolume graduation to GA in v1.36").
 * Before 1.31 the API has no `image` volume source at all (`pkg/apis/core/types.go` gained ImageVolumeSource
 * in 1.31, kubernetes/kubernetes#125660).
 *
 * The API server's gate is what matters for defaulting (`pkg/apis/core/v1/defaults.go` SetDefaults_Volume
 * reads `utilfeature.DefaultFeatureGate`) and for dropping disabled fields (`pkg/api/pod/util.go`
 * dropImageVolumes); the kubelet has its own copy of the gate for pulling (see decision/).
 *
 * This is a small table of its own because the API server side reaches back to 1.29 (before the field
 * existed), while the kubelet side (decision/kubelet-versions.ts `featureGates(kubeletVersion)`) models
 * 1.33–1.37; both follow the same kube_features.go stages and end at the same newest release (a test checks
 * that they agree where they overlap).
 */
import { ApiError, ErrorCode } from '../common/errors.js';

/** The releases modelled, oldest first. */
export const KUBERNETES_VERSIONS = ['1.29', '1.30', '1.31', '1.32', '1.33', '1.34', '1.35', '1.36', '1.37'] as const;
export type KubernetesVersion = (typeof KUBERNETES_VERSIONS)[number];
/** What an absent `kubernetesVersion` means: the newest modelled release. */
export const NEWEST_KUBERNETES_VERSION: KubernetesVersion = KUBERNETES_VERSIONS[KUBERNETES_VERSIONS.length - 1];

const OLDEST_MINOR = Number(KUBERNETES_VERSIONS[0].split('.')[1]);
const NEWEST_MINOR = Number(NEWEST_KUBERNETES_VERSION.split('.')[1]);
/** `1.33`, `v1.33`, `1.33.4`, `v1.33.4-eks-1234` (what `kubectl version` prints for a server). */
const VERSION_PATTERN = /^v?1\.(\d{1,3})(?:\.\d{1,4})?(?:[-+][0-9A-Za-z.-]{1,64})?$/;

export interface KubernetesRelease {
  /** `1.<minor>` */
  version: KubernetesVersion;
  minor: number;
}

/** The feature gates a caller may set (as `--feature-gates` on the API server). */
export interface FeatureGatesInput {
  ImageVolume?: boolean;
}
export const MODELLED_FEATURE_GATES = ['ImageVolume'] as const;

/** The release a version string names; an absent one is the newest modelled; anything else is a 400 naming the field and the range. */
export function kubernetesRelease(value: unknown, field = 'kubernetesVersion'): KubernetesRelease {
  if (value === undefined || value === null) return { version: NEWEST_KUBERNETES_VERSION, minor: NEWEST_MINOR };
  const range = `${KUBERNETES_VERSIONS[0]} to ${NEWEST_KUBERNETES_VERSION}`;
  if (typeof value !== 'string') throw new ApiError(ErrorCode.InvalidRequest, `${field} must be a string such as "${NEWEST_KUBERNETES_VERSION}" (modelled: ${range})`);
  const match = VERSION_PATTERN.exec(value.trim());
  const minor = match === null ? Number.NaN : Number(match[1]);
  if (!(minor >= OLDEST_MINOR && minor <= NEWEST_MINOR)) {
    throw new ApiError(ErrorCode.InvalidRequest, `${field}: ${JSON.stringify(value.slice(0, 80))} is not a modelled Kubernetes release (${range})`);
  }
  return { version: `1.${minor}` as KubernetesVersion, minor };
}

/** The stages of a Kubernetes feature gate (pkg/features: Alpha, Beta, GA), as the answers spell them. */
export const GATE_STAGES = ['alpha', 'beta', 'GA'] as const;
export type GateStage = (typeof GATE_STAGES)[number];

export interface ImageVolumeGate {
  /** False before 1.31: the API has no image volume source (the field is unknown). */
  exists: boolean;
  enabled: boolean;
  stage: GateStage | null;
  /** GA and locked (1.36 on): kube-apiserver refuses `--feature-gates=ImageVolume=false`. */
  locked: boolean;
  /** The release's default for the gate. */
  byDefault: boolean;
  /** True when the caller set the gate (featureGates.ImageVolume). */
  explicit: boolean;
  /** `ImageVolume gate on in Kubernetes 1.35 (beta, on by default)` — for warnings. */
  describe: string;
}

/** The ImageVolume gate of the API server of this release (pkg/features/kube_features.go), with the caller's override. */
export function imageVolumeGate(release: KubernetesRelease, featureGates?: FeatureGatesInput | null, field = 'featureGates'): ImageVolumeGate {
  const override = featureGates?.ImageVolume;
  const exists = release.minor >= 31;
  if (!exists) {
    if (override !== undefined && override !== null) {
      // kube-apiserver refuses to start with a gate it does not know ("unrecognized feature gate: ImageVolume").
      throw new ApiError(ErrorCode.InvalidRequest, `${field}.ImageVolume: Kubernetes ${release.version} has no ImageVolume feature gate (alpha from 1.31)`);
    }
    return { exists, enabled: false, stage: null, byDefault: false, locked: false, explicit: false, describe: `Kubernetes ${release.version} has no image volumes (the ImageVolume feature gate is alpha from 1.31)` };
  }
  const stage = release.minor >= 36 ? 'GA' : release.minor >= 33 ? 'beta' : 'alpha';
  const byDefault = release.minor >= 35;
  const locked = release.minor >= 36;
  if (locked && override === false) {
    // featuregate: "cannot set feature gate ImageVolume to false, feature is locked to true".
    throw new ApiError(ErrorCode.InvalidRequest, `${field}.ImageVolume: the ImageVolume feature gate is GA and locked to true from 1.36 (Kubernetes ${release.version}); it cannot be turned off`);
  }
  const explicit = override === true || override === false;
  const enabled = explicit ? override : byDefault;
  const stageText = locked ? 'GA, locked on' : `${stage}, ${byDefault ? 'on' : 'off'} by default`;
  const why = explicit ? `set ${enabled ? 'on' : 'off'} with featureGates (${stageText})` : `${stageText}${byDefault ? '' : '; on by default from 1.35'}`;
  return { exists, enabled, stage, byDefault, locked, explicit, describe: `the ImageVolume feature gate is ${enabled ? 'on' : 'off'} in Kubernetes ${release.version} (${why})` };
}

/** Checks a featureGates value: an object of known gate names with boolean values. */
export function validateFeatureGates(value: unknown, field = 'featureGates'): FeatureGatesInput | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new ApiError(ErrorCode.InvalidRequest, `${field} must be an object such as {"ImageVolume": true}`);
  const out: FeatureGatesInput = {};
  for (const [name, enabled] of Object.entries(value)) {
    if (!(MODELLED_FEATURE_GATES as readonly string[]).includes(name)) {
      throw new ApiError(ErrorCode.InvalidRequest, `${field}.${name.slice(0, 80)} is not a modelled feature gate (only ${MODELLED_FEATURE_GATES.join(', ')})`);
    }
    if (enabled === null || enabled === undefined) continue;
    if (typeof enabled !== 'boolean') throw new ApiError(ErrorCode.InvalidRequest, `${field}.${name} must be a boolean`);
    out.ImageVolume = enabled;
  }
  return out;
}

/** `ImageVolume=true,…` as kube-apiserver's `--feature-gates` flag writes them (the raw-YAML route's query parameter). */
export function parseFeatureGatesFlag(value: string, field = 'featureGates'): FeatureGatesInput {
  const gates: Record<string, unknown> = {};
  for (const part of value.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const match = /^([A-Za-z0-9]+)=(true|false)$/i.exec(item);
    if (match === null) throw new ApiError(ErrorCode.InvalidRequest, `${field} must be Name=true|false pairs separated by commas, such as ImageVolume=true`);
    gates[match[1]] = match[2].toLowerCase() === 'true';
  }
  return validateFeatureGates(gates, field) ?? {};
}

/**
 * imagePullPolicy as the API server sets it (kubernetes-semantics.md sections 1 and 2). Pure: no I/O, no Nest.
 *
 * The API server's rule (`SetDefaults_Container`), applied only when the field is empty:
 *   1. parse the image with `ParseNormalizedNamed`; a parse error is ignored (tag and digest are then empty);
 *   2. a parsed image with neither tag nor digest counts as tagged `latest`;
 *   3. tag `== "latest"` (case-sensitive) gives `Always`, anything else `IfNotPresent`.
 *
 * `reason` says, in one machine-friendly word, why the policy is what it is:
 *
 * | reason             | policy       | when                                                                  |
 * |--------------------|--------------|-----------------------------------------------------------------------|
 * | `NoTag`            | Always       | defaulted: no tag and no digest, so the tag is taken to be `latest`   |
 * | `TagLatest`        | Always       | defaulted: the tag is exactly `latest` (also with a digest)           |
 * | `TagNotLatest`     | IfNotPresent | defaulted: any other tag, `Latest`/`LATEST` included                  |
 * | `DigestOnly`       | IfNotPresent | defaulted: a digest and no tag                                        |
 * | `InvalidImage`     | IfNotPresent | defaulted: the image does not parse (or is empty); the parse error is ignored |
 * | `Specified`        | as given     | the caller's value (one of Always, IfNotPresent, Never) is kept       |
 * | `AlwaysPullImages` | Always       | the AlwaysPullImages admission plugin sets Always on every Pod container |
 *
 * The manifest walker adds `Kept` (an update keeps the stored value, see manifests.ts).
 */
import { ApiError, ErrorCode } from '../common/errors.js';
import { hasGoSurroundingSpace } from '../common/go-strings.js';
import { parseReference } from '../reference/parse.js';
import { type ParsedReference, type ParseResult, PULL_POLICIES, type PullPolicy } from '../reference/parsed-reference.js';

export type { PullPolicy };
export { PULL_POLICIES };

export type PullPolicyReason =
  | 'NoTag'
  | 'TagLatest'
  | 'TagNotLatest'
  | 'DigestOnly'
  | 'InvalidImage'
  | 'Specified'
  | 'AlwaysPullImages';

export const PULL_POLICY_REASONS: readonly PullPolicyReason[] = [
  'NoTag',
  'TagLatest',
  'TagNotLatest',
  'DigestOnly',
  'InvalidImage',
  'Specified',
  'AlwaysPullImages',
];

export interface PullPolicyInput {
  image: string;
  /** Empty, null or absent means "not set": the API server defaults it. */
  imagePullPolicy?: string | null;
  /** Model a cluster with the AlwaysPullImages admission plugin enabled (Pod create). */
  alwaysPullImages?: boolean;
}

/** The public answer of `POST /v1/pull-policy/default` and GraphQL `defaultPullPolicy`. */
export interface PullPolicyResult {
  image: string;
  imagePullPolicy: PullPolicy;
  /** True when the API server filled the field (it was empty). */
  defaulted: boolean;
  /** True when the kubelet can parse the image (otherwise containers fail with InvalidImageName). */
  imageValid: boolean;
  reason: PullPolicyReason;
  warnings: string[];
}

/** What the default would be for an image, and why; parse results are passed in so callers can cache them. */
export interface DefaultOutcome {
  policy: PullPolicy;
  reason: Exclude<PullPolicyReason, 'Specified' | 'AlwaysPullImages'>;
}

export function isPullPolicy(value: unknown): value is PullPolicy {
  return (PULL_POLICIES as readonly unknown[]).includes(value);
}

/** True when the field counts as "not set" for the API server (absent, null or the empty string). */
export function isUnsetPolicy(value: unknown): value is null | undefined | '' {
  return value === undefined || value === null || value === '';
}

/** The API server's validation text for a value outside the enum (`field.NotSupported`). */
export function unsupportedPullPolicyMessage(value: unknown, field = 'imagePullPolicy'): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value ?? null);
  const text = `${field}: Unsupported value: ${shown}: supported values: ${PULL_POLICIES.map((p) => `"${p}"`).join(', ')}`;
  const hint = typeof value === 'string' ? PULL_POLICIES.find((p) => p.toLowerCase() === value.trim().toLowerCase()) : undefined;
  return hint !== undefined ? `${text} (values are case-sensitive: did you mean "${hint}"?)` : text;
}

/**
 * Validates a given imagePullPolicy. Unset values return null; anything but the three API values is an
 * `InvalidPullPolicy` error naming the value, as the API server rejects it.
 */
export function validatePullPolicy(value: unknown, field = 'imagePullPolicy'): PullPolicy | null {
  if (isUnsetPolicy(value)) return null;
  if (isPullPolicy(value)) return value;
  throw new ApiError(ErrorCode.InvalidPullPolicy, unsupportedPullPolicyMessage(value, field));
}

/** The API server's default for an image that was already parsed (or failed to parse). */
export function defaultOutcomeOf(parsed: ParseResult): DefaultOutcome {
  if (!parsed.ok) return { policy: 'IfNotPresent', reason: 'InvalidImage' };
  const { tag, digest } = parsed.reference;
  if (tag === null && digest === null) return { policy: 'Always', reason: 'NoTag' };
  if (tag === 'latest') return { policy: 'Always', reason: 'TagLatest' };
  if (tag === null) return { policy: 'IfNotPresent', reason: 'DigestOnly' };
  return { policy: 'IfNotPresent', reason: 'TagNotLatest' };
}

/** What the API server defaults an empty imagePullPolicy to for this image. Never throws. */
export function defaultPullPolicyFor(image: string): PullPolicy {
  return defaultOutcomeOf(parseReference(image)).policy;
}

/**
 * Leading or trailing white space as the API server's `len(image) != len(strings.TrimSpace(image))` check
 * (pkg/apis/core/validation/validation.go, validateContainersOnlyForPod) sees it: Go's unicode.IsSpace set
 * (src/common/go-strings.ts), not JavaScript's trim().
 */
export function hasSurroundingWhitespace(image: string): boolean {
  return hasGoSurroundingSpace(image);
}

/** Warnings about the image itself, independent of the policy. */
export function imageWarnings(image: string, parsed: ParseResult): string[] {
  if (image === '') {
    return ['image: Required value — the API server rejects a container without an image'];
  }
  const warnings: string[] = [];
  if (hasSurroundingWhitespace(image)) {
    warnings.push(
      `image ${JSON.stringify(image)} has leading or trailing white space: the API server rejects it in a Pod ` +
        '("must not have leading or trailing whitespace") and accepts it in pod templates, where the kubelet then fails with InvalidImageName',
    );
  }
  if (!parsed.ok) {
    warnings.push(
      `image ${JSON.stringify(image)} cannot be parsed (${parsed.error}): the API server accepts it and ignores the error ` +
        '(imagePullPolicy defaults to IfNotPresent), but the kubelet fails to start the container with InvalidImageName',
    );
  }
  return warnings;
}

/** Warnings about the combination of image and the policy that results. */
export function policyWarnings(reference: ParsedReference | null, policy: PullPolicy, reason: PullPolicyReason): string[] {
  const warnings: string[] = [];
  if (reference === null) return warnings;
  const { tag, digest } = reference;
  if (reason === 'TagLatest' && digest !== null) {
    warnings.push(
      'the tag is "latest", so the API server defaults to Always although a digest is given ' +
        '(the Kubernetes documentation says digests give IfNotPresent; the code compares only the tag)',
    );
  }
  if (reason === 'TagNotLatest' && tag !== null && tag !== 'latest' && tag.toLowerCase() === 'latest') {
    warnings.push(
      `the tag "${tag}" is not "latest": the comparison is case-sensitive, so the default is IfNotPresent and nodes keep whatever "${tag}" they pulled first`,
    );
  }
  if (policy === 'Always' && digest !== null) {
    warnings.push(
      'Always with a digest still asks the registry on every container start: with the registry unreachable the start fails (ErrImagePull) even when the image is on the node',
    );
  }
  if (policy !== 'Always' && digest === null && (tag === null || tag === 'latest')) {
    warnings.push(
      `${policy} with the mutable tag "latest": each node keeps the "latest" it pulled first, so nodes can run different versions; pin a digest or use Always`,
    );
  }
  return warnings;
}

/**
 * What the AlwaysPullImages admission plugin does to a given value, as a warning (null: nothing to say).
 *
 * Mutating admission runs before validation: staging/src/k8s.io/apiserver/pkg/endpoints/handlers/create.go
 * (createHandler) calls `mutatingAdmission.Admit` and only then `r.Create`, whose registry store runs
 * `rest.BeforeCreate` → the Pod strategy's Validate (`Unsupported value`), then validating admission.
 * plugin/pkg/admission/alwayspullimages/admission.go `AlwaysPullImages.Admit` sets `Always` on every container
 * (pods.VisitContainersWithPath), so a value validation would reject never reaches it: the Pod is created with
 * `Always`. Without the plugin the same value is a 400 (validatePullPolicy).
 */
export function alwaysPullImagesWarning(value: unknown): string | null {
  if (isUnsetPolicy(value) || value === 'Always') return null;
  if (isPullPolicy(value)) return `the AlwaysPullImages admission plugin replaces imagePullPolicy ${value} with Always on Pod create`;
  return (
    `the AlwaysPullImages admission plugin replaces the unsupported imagePullPolicy ${JSON.stringify(value)} with Always before validation, ` +
    `so the Pod is created with Always (without the plugin the API server rejects it: ${unsupportedPullPolicyMessage(value)})`
  );
}

/**
 * The imagePullPolicy a container gets, with every edge of the API server's rule and the AlwaysPullImages
 * admission mode. Throws `InvalidPullPolicy` for a given value the API rejects — unless AlwaysPullImages
 * replaces it first (mutating admission runs before validation, see alwaysPullImagesWarning); never throws otherwise.
 */
export function resolvePullPolicy(input: PullPolicyInput, parsed: ParseResult = parseReference(input.image)): PullPolicyResult {
  const admission = input.alwaysPullImages === true;
  const given = admission ? null : validatePullPolicy(input.imagePullPolicy);
  const reference = parsed.ok ? parsed.reference : null;
  const warnings = imageWarnings(input.image, parsed);
  let policy: PullPolicy;
  let reason: PullPolicyReason;
  let defaulted = false;
  if (admission) {
    policy = 'Always';
    reason = 'AlwaysPullImages';
    const replaced = alwaysPullImagesWarning(input.imagePullPolicy);
    if (replaced !== null) warnings.push(replaced);
  } else if (given !== null) {
    policy = given;
    reason = 'Specified';
  } else {
    const outcome = defaultOutcomeOf(parsed);
    policy = outcome.policy;
    reason = outcome.reason;
    defaulted = true;
  }
  warnings.push(...policyWarnings(reference, policy, reason));
  return { image: input.image, imagePullPolicy: policy, defaulted, imageValid: parsed.ok, reason, warnings };
}

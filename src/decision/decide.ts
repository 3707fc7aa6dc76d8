/**
 * The kubelet's pull decision for one container start (`EnsureImageExists`, kubernetes-semantics.md
 * sections 3 and 4), predicted from plain values. Pure: the registry's answer is passed in.
 *
 * Two steps, so the caller can do the one piece of I/O in between:
 *   planDecision(input)            → what is known from the image, policy and node, and the registry
 *                                    question that remains (`plan.question`), if any;
 *   completeDecision(plan, answer) → the decision, given the registry's answer (or null when it was not asked).
 * `decidePull(input, answer?)` does both; without an answer it uses the caller's simulated `registry`.
 *
 * The steps of the kubelet, in order:
 *  1. Default the tag; a parse error fails with InvalidImageName (event InspectFailed), no back-off.
 *  2. Always skips the local check and pulls: the runtime resolves the tag at the registry; if that digest is
 *     already on the node nothing is downloaded (UseLocal / DigestPresent), otherwise the pull is by that
 *     digest. No fallback: unreachable registry or refused credentials fail (ErrImagePull), even for digest
 *     references and images on the node.
 *  3. IfNotPresent / Never check presence (normalised names); an inspect error is ImageInspectError;
 *     Never and absent fails with ErrImageNeverPull (no back-off).
 *  4. Present: used ("already present on machine"), unless credential verification (gate
 *     KubeletEnsureSecretPulledImages) makes the pod prove access: then IfNotPresent pulls and Never fails
 *     with the same ErrImageNeverPull message. The gate's default is the kubelet release's (`node.kubeletVersion`,
 *     kubelet-versions.ts: off in 1.33–1.34, on from 1.35; absent: the newest modelled, said in `kubelet.assumed`);
 *     an explicit `node.credentialVerification` wins.
 *  5. Pulling: a missing manifest, refused credentials, an unreachable registry or a missing platform fail
 *     with ErrImagePull (then ImagePullBackOff: 10 s doubling to 300 s).
 *  6. IfNotPresent uses a present image even when the tag has moved on at the registry: the decision warns
 *     when the registry's digest is known and differs ("mixed versions").
 */
import { ApiError, ErrorCode } from '../common/errors.js';
import { parseReference } from '../reference/parse.js';
import type { ParsedReference, ParseResult } from '../reference/parsed-reference.js';
import { alwaysPullImagesWarning, defaultOutcomeOf, policyWarnings, validatePullPolicy } from '../pull-policy/pull-policy.js';
import {
  dockerConfigBytes,
  notApplicable,
  type PodCredentials,
  secretIdentity,
  serviceAccountIdentity,
  type VerificationConfig,
  verificationConfig,
  verifyCredentials,
} from './credentials.js';
import type {
  CredentialVerification,
  DecisionReason,
  KubeletEvent,
  KubeletReport,
  PolicySource,
  PullDecision,
  PullDecisionInput,
  PullPolicy,
  RegistryAnswer,
  RegistryQuestion,
  RegistryReport,
  SimulatedRegistryInput,
} from './decision.types.js';
import { IMAGE_BACKOFF_SECONDS, KubeletText, RuntimeText } from './kubelet-text.js';
import { KUBELET_VERSIONS, type KubeletRelease, kubeletRelease } from './kubelet-versions.js';
import { findByDigest, findPresent, indexNodeImages, localDigestOf, type NodeImage, type NodeImages } from './node-images.js';

/** What happens before the registry matters. */
type Step =
  | { kind: 'invalidImage'; error: string }
  | { kind: 'inspectError'; error: string }
  | { kind: 'neverPull' }
  | { kind: 'useLocal'; image: NodeImage }
  | { kind: 'pull'; reason: 'ImageNotPresent' | 'CredentialsNotVerified'; present: NodeImage | null }
  | { kind: 'always' };

export interface DecisionPlan {
  input: PullDecisionInput;
  image: string;
  parsed: ParseResult;
  reference: ParsedReference | null;
  policy: PullPolicy;
  policySource: PolicySource;
  config: VerificationConfig;
  /** The kubelet modelled: its release (given or assumed) and the gates as used. */
  kubelet: KubeletReport;
  node: NodeImages;
  verification: CredentialVerification;
  step: Step;
  /** The registry question that remains, if any. */
  question: RegistryQuestion | null;
  /** The caller's simulated registry answer, if given. */
  simulated: RegistryAnswer | null;
  warnings: string[];
}

const invalid = (message: string): ApiError => new ApiError(ErrorCode.InvalidRequest, message);

/** The kubelet part of the answer: the release, and each gate's value, default, stage and what set it. */
function kubeletReportOf(release: KubeletRelease, config: VerificationConfig, explicit: boolean): KubeletReport {
  const ensure = release.gates.KubeletEnsureSecretPulledImages;
  const imageVolume = release.gates.ImageVolume;
  return {
    version: release.version,
    assumed: release.assumed,
    featureGates: {
      KubeletEnsureSecretPulledImages: { enabled: config.enabled, byDefault: ensure.enabled, stage: ensure.stage, source: explicit ? 'credentialVerification' : 'kubeletVersion' },
      ImageVolume: { enabled: imageVolume.enabled, byDefault: imageVolume.enabled, stage: imageVolume.stage, source: 'kubeletVersion' },
    },
  };
}

/** Said when the decision rests on an assumed release's KubeletEnsureSecretPulledImages default. */
function assumedKubeletWarning(release: KubeletRelease): string {
  const gate = release.gates.KubeletEnsureSecretPulledImages;
  const others = KUBELET_VERSIONS.filter((version) => kubeletRelease(version).gates.KubeletEnsureSecretPulledImages.enabled !== gate.enabled);
  return (
    `node.kubeletVersion is not given: assumed the newest modelled kubelet, ${release.version}, where the KubeletEnsureSecretPulledImages feature gate is ` +
    `${gate.enabled ? 'on' : 'off'} by default (${gate.stage} since ${gate.since}); a ${others.join(' or ')} kubelet has it ${gate.enabled ? 'off' : 'on'} ` +
    'and decides this image differently — give node.kubeletVersion (or node.credentialVerification)'
  );
}

/** The caller's `registry` field as a registry answer (defaults: reachable, exists, authorised). */
export function simulatedAnswer(registry: SimulatedRegistryInput, platform: string | null): RegistryAnswer {
  const digest = registry.digest ?? null;
  if (digest !== null && !/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(digest)) throw invalid(`registry.digest: ${JSON.stringify(digest)} is not a digest`);
  const answer = (status: RegistryAnswer['status']): RegistryAnswer => ({ source: 'simulated', status, digest, error: null });
  if (registry.available === false) return answer('unavailable');
  if (registry.authorized === false) return answer('unauthorized');
  if (registry.exists === false) return answer('notFound');
  if (platform !== null && Array.isArray(registry.platforms) && !registry.platforms.includes(platform)) return answer('platformMissing');
  return answer('ok');
}

function podCredentials(input: PullDecisionInput, namespace: string, warnings: string[]): { credentials: PodCredentials; contents: string[]; withoutContent: number } {
  const secrets = input.pod?.imagePullSecrets ?? [];
  const contents: string[] = [];
  let withoutContent = 0;
  const identities = secrets.map((secret, index) => {
    const field = `pod.imagePullSecrets[${index}]`;
    if (typeof secret?.name !== 'string' || secret.name === '') throw invalid(`${field}.name is required`);
    if (secret.namespace !== undefined && secret.namespace !== null && secret.namespace !== namespace) {
      warnings.push(`${field}: a pod only uses pull secrets of its own namespace (${namespace}), not ${secret.namespace}`);
    }
    if (typeof secret.dockerconfigjson === 'string') contents.push(dockerConfigBytes(secret.dockerconfigjson, `${field}.dockerconfigjson`).toString('utf8'));
    else withoutContent++;
    return secretIdentity(secret, namespace, field);
  });
  const account = input.pod?.serviceAccount;
  return {
    credentials: { secrets: identities, serviceAccount: account ? serviceAccountIdentity(account, namespace) : null },
    contents,
    withoutContent,
  };
}

/** Everything that can be decided without the registry, and the registry question that remains. */
export function planDecision(input: PullDecisionInput): DecisionPlan {
  if (typeof input?.image !== 'string') throw invalid('image is required and must be a string');
  const image = input.image;
  const warnings: string[] = [];
  const parsed = parseReference(image);
  const reference = parsed.ok ? parsed.reference : null;

  // The policy the kubelet sees: AlwaysPullImages admission, the given value, or the API server's default.
  // Mutating admission runs before validation (handlers/create.go: Admit, then the strategy's Validate), so with
  // AlwaysPullImages (alwayspullimages/admission.go Admit) even a value validation rejects becomes Always.
  const admission = input.alwaysPullImages === true;
  const given = admission ? null : validatePullPolicy(input.imagePullPolicy);
  let policy: PullPolicy;
  let policySource: PolicySource;
  if (admission) {
    policy = 'Always';
    policySource = 'alwaysPullImages';
    const replaced = alwaysPullImagesWarning(input.imagePullPolicy);
    if (replaced !== null) warnings.push(replaced);
  } else if (given !== null) {
    policy = given;
    policySource = 'given';
  } else {
    policy = defaultOutcomeOf(parsed).policy;
    policySource = 'defaulted';
  }
  if (image === '') warnings.push('image: Required value — the API server rejects a container without an image, so no kubelet sees it');

  const namespace = input.pod?.namespace ?? 'default';
  // Which kubelet (kubelet-versions.ts): its release decides KubeletEnsureSecretPulledImages' default (kube_features.go),
  // and with the gate on, imagePullCredentialsVerificationPolicy defaults to NeverVerifyPreloadedImages
  // (pkg/kubelet/apis/config/v1beta1/defaults.go). An explicit node.credentialVerification wins.
  const release = kubeletRelease(input.node?.kubeletVersion);
  const explicitVerification = input.node?.credentialVerification ?? null;
  const config = verificationConfig(explicitVerification ?? { enabled: release.gates.KubeletEnsureSecretPulledImages.enabled });
  const kubelet = kubeletReportOf(release, config, explicitVerification !== null);
  warnings.push(...config.warnings);
  const node = indexNodeImages(input.node?.images, namespace);
  warnings.push(...node.warnings);
  const pod = podCredentials(input, namespace, warnings);
  const platform = input.node?.platform ?? null;
  if (platform !== null && !/^[a-z0-9_.-]+\/[a-z0-9_.-]+(?:\/[a-z0-9_.-]+)?$/i.test(platform)) {
    throw invalid(`node.platform: ${JSON.stringify(platform)} is not os/architecture[/variant]`);
  }
  const simulated = input.registry === undefined || input.registry === null ? null : simulatedAnswer(input.registry, platform);
  const question = (purpose: RegistryQuestion['purpose']): RegistryQuestion => ({
    reference: (reference as ParsedReference).pullReference,
    purpose,
    platform,
    pullSecrets: pod.contents,
    secretsWithoutContent: pod.withoutContent,
  });
  const plan = (step: Step, verification: CredentialVerification, q: RegistryQuestion | null): DecisionPlan => ({
    input,
    image,
    parsed,
    reference,
    policy,
    policySource,
    config,
    kubelet,
    node,
    verification,
    step,
    question: q,
    simulated,
    warnings,
  });

  if (!parsed.ok) return plan({ kind: 'invalidImage', error: parsed.error }, notApplicable(config, 'InvalidImage'), null);
  const ref = parsed.reference;
  warnings.push(...policyWarnings(ref, policy, policySource === 'defaulted' ? defaultOutcomeOf(parsed).reason : 'Specified'));
  if (policy === 'Always') return plan({ kind: 'always' }, notApplicable(config, 'PolicyAlways'), question('resolve'));

  const inspectError = input.node?.inspectError;
  if (typeof inspectError === 'string' && inspectError !== '') {
    return plan({ kind: 'inspectError', error: inspectError }, notApplicable(config, 'ImageNotPresent'), null);
  }
  const present = findPresent(node, ref);
  if (present === null) {
    if (policy === 'Never') return plan({ kind: 'neverPull' }, notApplicable(config, 'ImageNotPresent'), null);
    return plan({ kind: 'pull', reason: 'ImageNotPresent', present: null }, notApplicable(config, 'ImageNotPresent'), question('pull'));
  }
  const verification = config.enabled ? verifyCredentials(config, ref.name, present.record, pod.credentials) : notApplicable(config, 'FeatureDisabled');
  // Present with IfNotPresent/Never: the one place the gate decides (image_manager.go EnsureImageExists). When the
  // release was assumed and the other gate value would change the action (MustPull or not), say so.
  if (release.assumed && explicitVerification === null) {
    const mustPullOtherwise = config.enabled ? false : verifyCredentials(verificationConfig({ enabled: true }), ref.name, present.record, pod.credentials).outcome === 'MustPull';
    if ((verification.outcome === 'MustPull') !== mustPullOtherwise) warnings.push(assumedKubeletWarning(release));
  }
  if (verification.outcome === 'MustPull') {
    if (policy === 'Never') return plan({ kind: 'neverPull' }, verification, null);
    return plan({ kind: 'pull', reason: 'CredentialsNotVerified', present }, verification, question('pull'));
  }
  const drift = ref.digest === null && input.detectDrift === true ? question('drift') : null;
  return plan({ kind: 'useLocal', image: present }, verification, drift);
}

interface Outcome {
  action: PullDecision['action'];
  reason: DecisionReason;
  message: string;
  pullReference: string | null;
  resolvedDigest: string | null;
  localDigest: string | null;
  events: KubeletEvent[];
  event: KubeletEvent | null;
  waiting: PullDecision['waiting'];
  backOff: PullDecision['backOff'];
}

const normal = (reason: string, message: string): KubeletEvent => ({ type: 'Normal', reason, message });
const warning = (reason: string, message: string): KubeletEvent => ({ type: 'Warning', reason, message });

/** A start that fails in the image manager: its event, kuberuntime's "Error: …" event, the waiting state. */
function failure(reason: DecisionReason, event: KubeletEvent, waitingMessage: string, extra: Partial<Outcome> = {}): Outcome {
  return {
    action: 'Fail',
    reason,
    message: event.message,
    pullReference: null,
    resolvedDigest: null,
    localDigest: null,
    events: [event, warning('Failed', KubeletText.startError(reason))],
    event,
    waiting: { reason, message: waitingMessage },
    backOff: null,
    ...extra,
  };
}

/** A pull that the runtime would attempt, with the registry's answer deciding success. */
function pullOutcome(
  plan: DecisionPlan,
  ref: ParsedReference,
  answer: RegistryAnswer | null,
  reason: DecisionReason,
  localDigest: string | null,
  warnings: string[],
): Outcome {
  const image = plan.image;
  const pulling = normal('Pulling', KubeletText.pulling(image));
  const status = answer?.status ?? 'unknown';
  let runtimeError: string | null = null;
  switch (status) {
    case 'unavailable': {
      const detail = answer?.error?.message ?? 'dial tcp: connect: connection refused';
      runtimeError = RuntimeText.unavailable(ref, detail);
      if (answer?.stale === true && answer.digest !== null) {
        warnings.push(`the registry is unreachable; the service's last known digest for ${ref.pullReference} is ${answer.digest} (stale), but the kubelet has no such fallback`);
      }
      break;
    }
    case 'unauthorized':
      runtimeError = RuntimeText.unauthorized(ref);
      break;
    case 'notFound':
      runtimeError = RuntimeText.notFound(ref);
      break;
    case 'platformMissing':
      runtimeError = RuntimeText.platformMissing(ref);
      warnings.push(`the image offers no ${plan.input.node?.platform ?? 'matching'} platform`);
      break;
    case 'unknown':
    case 'ok':
      break;
  }
  if (runtimeError !== null) {
    const failed = warning('Failed', KubeletText.failed(image, runtimeError));
    return {
      action: 'Fail',
      reason: 'ErrImagePull',
      message: failed.message,
      pullReference: pullReferenceFor(ref, answer),
      resolvedDigest: status === 'unavailable' ? null : (answer?.digest ?? null),
      localDigest,
      events: [pulling, failed, warning('Failed', KubeletText.startError('ErrImagePull'))],
      event: failed,
      waiting: { reason: 'ErrImagePull', message: runtimeError },
      backOff: { reason: 'ImagePullBackOff', message: KubeletText.backOff(image, 'ErrImagePull', runtimeError), delaysSeconds: [...IMAGE_BACKOFF_SECONDS] },
    };
  }
  if (status === 'unknown') {
    const why = answer?.error ? `: ${answer.error.message}` : '';
    warnings.push(`the registry was not consulted${why}; whether the pull succeeds is not predicted`);
  }
  return {
    action: 'Pull',
    reason,
    message: pulling.message,
    pullReference: pullReferenceFor(ref, answer),
    resolvedDigest: answer?.digest ?? ref.digest,
    localDigest,
    events: [pulling, normal('Pulled', KubeletText.pulled(image))],
    event: pulling,
    waiting: null,
    backOff: null,
  };
}

/** What the runtime pulls: the digest Always resolved, or the normalised reference. */
function pullReferenceFor(ref: ParsedReference, answer: RegistryAnswer | null): string {
  if (ref.digest === null && answer?.status === 'ok' && answer.digest !== null) return `${ref.name}@${answer.digest}`;
  return ref.pullReference;
}

function registryReport(plan: DecisionPlan, answer: RegistryAnswer | null): RegistryReport {
  return {
    consulted: answer !== null,
    source: answer?.source ?? null,
    reference: answer === null ? null : (plan.reference?.pullReference ?? null),
    status: answer?.status ?? null,
    digest: answer?.digest ?? null,
    stale: answer?.stale === true,
    error: answer?.error ?? null,
  };
}

/** The decision, given the registry's answer to `plan.question` (null: not asked). */
export function completeDecision(plan: DecisionPlan, answer: RegistryAnswer | null): PullDecision {
  const warnings = [...plan.warnings];
  // The answer matters where a question was asked; a simulated one also feeds the drift check of a local image.
  const used = plan.question !== null || plan.step.kind === 'useLocal' ? answer : null;
  let outcome: Outcome;
  const step = plan.step;
  switch (step.kind) {
    case 'invalidImage': {
      const event = warning('InspectFailed', KubeletText.invalidImageName(plan.image, step.error));
      outcome = failure('InvalidImageName', event, event.message);
      break;
    }
    case 'inspectError': {
      const event = warning('InspectFailed', KubeletText.inspectFailed(step.error));
      outcome = failure('ImageInspectError', event, event.message);
      break;
    }
    case 'neverPull': {
      const event = warning('ErrImageNeverPull', KubeletText.neverPull(plan.image));
      outcome = failure('ErrImageNeverPull', event, event.message);
      if (plan.verification.outcome === 'MustPull') {
        warnings.push('the image is on the node, but the pod may not use it without proving access, which Never cannot do: the kubelet reports it as not present');
      }
      break;
    }
    case 'useLocal': {
      const ref = plan.reference as ParsedReference;
      const event = normal('Pulled', plan.config.enabled ? KubeletText.presentAccessible(plan.image) : KubeletText.present(plan.image));
      const localDigest = localDigestOf(step.image, ref);
      outcome = {
        action: 'UseLocal',
        reason: 'ImagePresent',
        message: event.message,
        pullReference: null,
        resolvedDigest: used?.status === 'ok' ? used.digest : null,
        localDigest,
        events: [event],
        event,
        waiting: null,
        backOff: null,
      };
      if (used?.status === 'ok' && used.digest !== null && localDigest !== null && used.digest !== localDigest && ref.digest === null) {
        warnings.push(
          `mixed versions: this node runs ${plan.image} as ${localDigest}, but the registry's ${ref.pullReference} is now ${used.digest}; ` +
            `${plan.policy} keeps using the old content here while other nodes pull the new one (pin a digest)`,
        );
      }
      break;
    }
    case 'pull': {
      const ref = plan.reference as ParsedReference;
      const localDigest = step.present === null ? null : localDigestOf(step.present, ref);
      outcome = pullOutcome(plan, ref, used, step.reason, localDigest, warnings);
      break;
    }
    case 'always': {
      const ref = plan.reference as ParsedReference;
      const tagged = findPresent(plan.node, ref);
      const resolved = used?.status === 'ok' ? (used.digest ?? ref.digest) : null;
      const holder = resolved === null ? null : findByDigest(plan.node, [resolved, used?.platformDigest]);
      if (holder !== null && resolved !== null) {
        const pulling = normal('Pulling', KubeletText.pulling(plan.image));
        outcome = {
          action: 'UseLocal',
          reason: 'DigestPresent',
          message: `The registry resolves ${ref.pullReference} to ${resolved}, which is already on the node: the runtime is asked to pull but downloads nothing`,
          pullReference: `${ref.name}@${resolved}`,
          resolvedDigest: resolved,
          localDigest: resolved,
          events: [pulling, normal('Pulled', KubeletText.pulled(plan.image))],
          event: pulling,
          waiting: null,
          backOff: null,
        };
        break;
      }
      const localDigest = tagged === null ? null : localDigestOf(tagged, ref);
      const moved = tagged !== null && resolved !== null && localDigest !== null && localDigest !== resolved;
      if (moved) warnings.push(`the tag has moved: this node has ${plan.image} as ${localDigest}, the registry now has ${resolved}; the new content is pulled`);
      if (tagged !== null && used !== null && used.status !== 'ok' && used.status !== 'unknown') {
        warnings.push('the image is on the node, but imagePullPolicy Always never falls back to it: the start fails while the pull fails');
      }
      if (used !== null && used.status === 'ok' && resolved === null) warnings.push('the registry answered without a digest; whether the node already has the content is unknown');
      outcome = pullOutcome(plan, ref, used, moved ? 'TagMoved' : 'PullPolicyAlways', localDigest, warnings);
      break;
    }
  }
  if (plan.question !== null && plan.question.secretsWithoutContent > 0 && used?.source === 'lookup' && plan.question.purpose !== 'drift') {
    warnings.push(
      `${plan.question.secretsWithoutContent} of the pod's pull secrets were given as a hash only, so the registry was asked without them; ` +
        'send dockerconfigjson to check access with the pod\'s own credentials',
    );
  }
  return {
    image: plan.image,
    imagePullPolicy: plan.policy,
    policySource: plan.policySource,
    action: outcome.action,
    reason: outcome.reason,
    message: outcome.message,
    pullReference: outcome.pullReference,
    resolvedDigest: outcome.resolvedDigest,
    localDigest: outcome.localDigest,
    credentialVerification: plan.verification,
    kubelet: plan.kubelet,
    registry: registryReport(plan, used),
    event: outcome.event,
    events: outcome.events,
    waiting: outcome.waiting,
    backOff: outcome.backOff,
    plugins: [],
    warnings,
  };
}

/** Plans and completes in one call: with `answer` undefined, the caller's simulated registry (if any) is used. */
export function decidePull(input: PullDecisionInput, answer?: RegistryAnswer | null): PullDecision {
  const plan = planDecision(input);
  return completeDecision(plan, answer === undefined ? plan.simulated : answer);
}

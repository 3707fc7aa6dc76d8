import { Inject, Injectable, Optional } from '@nestjs/common';
import { ApiError, type ErrorBody, ErrorCode, ErrorReason } from '../common/errors.js';
import { PluginHost } from '../plugin-host/plugin-host.service.js';
import type { PluginRunResult } from '../plugin-host/plugin-runner.js';
import { type UpdateMode, walkManifests } from '../pull-policy/manifests.js';
import { defaultOutcomeOf, validatePullPolicy } from '../pull-policy/pull-policy.js';
import { parseReference } from '../reference/parse.js';
import type { FeatureGatesInput } from '../pull-policy/kubernetes-release.js';
import { completeDecision, type DecisionPlan, planDecision } from './decide.js';
import { withImageVolumeDecisions } from './image-volumes.js';
import type {
  NodeInput,
  PolicySource,
  PullDecision,
  PullDecisionInput,
  RegistryAnswer,
  RegistryQuestion,
  SecretInput,
  ServiceAccountInput,
  SimulatedRegistryInput,
} from './decision.types.js';
import { DIGEST_LOOKUP, type DigestLookup, type DigestLookupAnswer, type DigestLookupOptions } from './digest-lookup.port.js';

export type DecisionOutcome = { ok: true; decision: PullDecision } | { ok: false; error: ErrorBody };

/** "What would happen on this node" for every container of some manifests (a whole Deployment, a Helm render …). */
export interface ManifestDecisionsInput {
  manifests: unknown;
  previous?: unknown;
  alwaysPullImages?: boolean;
  update?: UpdateMode;
  /** Namespace of objects that name none (the kubectl context); default `default`. */
  namespace?: string;
  node?: NodeInput;
  registry?: SimulatedRegistryInput;
  detectDrift?: boolean;
  /** Details (uid, hash or dockerconfigjson) of the Secrets the pods name in imagePullSecrets. */
  secrets?: SecretInput[];
  /** Details (uid) of the service accounts the pods run as. */
  serviceAccounts?: ServiceAccountInput[];
  /** The API server's release and gates, for the defaulting (image volumes exist and are defaulted per the ImageVolume gate). */
  kubernetesVersion?: string;
  featureGates?: FeatureGatesInput | null;
}

export interface ContainerDecision {
  kind: string;
  namespace: string;
  name: string | null;
  container: string | null;
  containerType: string;
  path: string;
  document: number;
  item: number | null;
  decision: PullDecision | null;
  error: ErrorBody | null;
  /** Image volumes only (containerType `imageVolume`): the volume's name, and the containers that mount it. */
  volume?: string | null;
  mountedBy?: string[];
}

export interface ManifestDecisions {
  results: ContainerDecision[];
  /** The manifests' warnings and rejections (as POST /v1/manifests/default reports them). */
  warnings: string[];
  errors: string[];
}

/** The registry's failure as the decision sees it. */
export function answerFromError(error: unknown): RegistryAnswer {
  const body = error instanceof ApiError ? { code: error.code, message: error.message } : { code: ErrorCode.InternalError, message: 'registry lookup failed' };
  const answer = (status: RegistryAnswer['status']): RegistryAnswer => ({ source: 'lookup', status, digest: null, error: body });
  if (!(error instanceof ApiError)) return answer('unknown');
  switch (error.code) {
    case ErrorCode.ManifestUnknown:
      // The typed reason, never the text: the message holds the image name (`acme/platform-api`). containerd's
      // "no match for platform in manifest" vs "not found" (RuntimeText) follow the registry client's reason.
      return answer(error.reason === ErrorReason.PlatformMissing ? 'platformMissing' : 'notFound');
    case ErrorCode.RegistryUnauthorized:
      return answer('unauthorized');
    case ErrorCode.RegistryUnavailable:
    case ErrorCode.RegistryTimeout:
      return answer('unavailable');
    default:
      // RegistryNotAllowed (this service may not reach it; the node might), RegistryRateLimited (per client), …
      return answer('unknown');
  }
}

export function answerFromLookup(found: DigestLookupAnswer): RegistryAnswer {
  return {
    source: 'lookup',
    // A stale answer means the registry failed just now: the kubelet's pull would fail too.
    status: found.stale === true ? 'unavailable' : 'ok',
    digest: found.digest,
    platformDigest: found.platform?.digest ?? null,
    stale: found.stale === true,
    error: found.stale === true ? { code: ErrorCode.RegistryUnavailable, message: 'the registry did not answer; the digest is the last one known' } : null,
  };
}

/** The plugins' context of one container of a manifest (built by assignment: spreads are slow in V8 here). */
function contextOf(namespace: string | undefined, labels: unknown, report: { kind: string; name: string | null; container: string | null }): Record<string, unknown> {
  const context: Record<string, unknown> = { namespace, labels, kind: report.kind };
  if (report.name !== null) context.name = report.name;
  if (report.container !== null) context.container = report.container;
  return context;
}

function questionKey(question: RegistryQuestion): string {
  return JSON.stringify([question.reference, question.platform, question.pullSecrets]);
}

/** Applies the plugins' run to a decision: their reports and warnings, a changed policy's source, a deny. */
function withPluginRun(decision: PullDecision, run: PluginRunResult | null): PullDecision {
  if (run === null) return decision;
  const decided: PullDecision = {
    ...decision,
    policySource: run.policyMutated ? 'plugin' : decision.policySource,
    plugins: run.plugins,
    warnings: [...decision.warnings, ...run.warnings],
  };
  if (!run.denied) return decided;
  const message = `denied by policy: ${run.denyMessages.join('; ')}`;
  return {
    ...decided,
    action: 'Fail',
    reason: 'DeniedByPolicy',
    message,
    pullReference: null,
    event: null,
    events: [],
    waiting: null,
    backOff: null,
    warnings: [...decided.warnings, `without the plugins the kubelet would ${decision.action === 'Fail' ? `fail with ${decision.reason}` : decision.action === 'Pull' ? 'pull the image' : 'use the local image'}`],
  };
}

/**
 * Feeds the pure decision: first the organisation's rule plugins (operation `decision`; they may change
 * the image or the policy, or deny), then the registry's answer — the caller's simulated `registry` when
 * given, otherwise one lookup through the DigestLookup port when the decision needs it. Batches ask the
 * registry once per distinct (reference, platform, credentials).
 */
@Injectable()
export class DecisionService {
  constructor(
    @Optional() @Inject(DIGEST_LOOKUP) private readonly lookup: DigestLookup | null = null,
    @Optional() @Inject(PluginHost) private readonly plugins: PluginHost | null = null,
  ) {}

  async decide(input: PullDecisionInput): Promise<PullDecision> {
    return this.decideWith(input, new Map());
  }

  private async decideWith(input: PullDecisionInput, asked: Map<string, Promise<RegistryAnswer>>): Promise<PullDecision> {
    const run = await this.runPlugins(input);
    const effective = run === null || (!run.imageMutated && !run.policyMutated) ? input : Object.assign({}, input, { image: run.image, imagePullPolicy: run.imagePullPolicy, alwaysPullImages: false });
    const plan = planDecision(effective);
    return withPluginRun(completeDecision(plan, await this.answerFor(plan, asked)), run);
  }

  /** The plugins see the image (parsed) and the policy in force; an unparsable image is left to the kubelet's InvalidImageName. */
  private async runPlugins(input: PullDecisionInput): Promise<PluginRunResult | null> {
    if (this.plugins === null || !this.plugins.has('decision') || typeof input?.image !== 'string') return null;
    const parsed = parseReference(input.image);
    if (!parsed.ok) return null;
    const policy = input.alwaysPullImages === true ? 'Always' : (validatePullPolicy(input.imagePullPolicy) ?? defaultOutcomeOf(parsed).policy);
    // Object spreads cost V8 (Node 20) microseconds each on this hot path; Object.assign and plain assignment do not.
    const context: Record<string, unknown> = Object.assign({}, input.context);
    if (input.pod?.namespace !== undefined) context.namespace = input.pod.namespace;
    return this.plugins.run({ image: parsed.reference, imagePullPolicy: policy, context, operation: 'decision' });
  }

  /** Many decisions; each answer is ok or carries its own error, in input order. */
  async decideMany(inputs: readonly PullDecisionInput[]): Promise<DecisionOutcome[]> {
    const asked = new Map<string, Promise<RegistryAnswer>>();
    return Promise.all(
      inputs.map(async (input): Promise<DecisionOutcome> => {
        try {
          return { ok: true, decision: await this.decideWith(input, asked) };
        } catch (error) {
          if (error instanceof ApiError) return { ok: false, error: error.toBody() };
          throw error;
        }
      }),
    );
  }

  /**
   * Every container of the manifests: the policy its pods get (defaulting, updates, AlwaysPullImages), the
   * pod's pull secrets and service account joined with the details given, then the decision on this node.
   */
  async decideManifests(input: ManifestDecisionsInput): Promise<ManifestDecisions> {
    const { result, pods } = walkManifests(input);
    const defaultNamespace = input.namespace ?? 'default';
    const secrets = input.secrets ?? [];
    const accounts = input.serviceAccounts ?? [];
    const sources: PolicySource[] = [];
    const inputs: PullDecisionInput[] = result.containers.map((report, index) => {
      const pod = pods[index];
      const namespace = pod.namespace ?? defaultNamespace;
      const inNamespace = (item: { name: string; namespace?: string }, name: string) => item.name === name && (item.namespace ?? namespace) === namespace;
      const accountName = pod.serviceAccountName ?? 'default';
      const account = accounts.find((candidate) => inNamespace(candidate, accountName));
      // AlwaysPullImages sets containers only: an image volume keeps its own pullPolicy (image-volumes.ts).
      const templateAlways = input.alwaysPullImages === true && report.kind !== 'Pod' && report.containerType !== 'imageVolume';
      sources.push(report.reason === 'AlwaysPullImages' || templateAlways ? 'alwaysPullImages' : report.reason === 'Specified' ? 'given' : 'defaulted');
      return {
        image: report.image ?? '',
        imagePullPolicy: report.podPullPolicy ?? report.imagePullPolicy,
        context: contextOf(namespace, pod.labels, report),
        node: input.node,
        registry: input.registry,
        detectDrift: input.detectDrift,
        pod: Object.assign(
          { namespace, imagePullSecrets: pod.imagePullSecrets.map((name) => secrets.find((secret) => inNamespace(secret, name)) ?? { name, namespace }) },
          account === undefined ? {} : { serviceAccount: account },
        ),
      };
    });
    const outcomes = await this.decideMany(inputs);
    const results = result.containers.map((report, index): ContainerDecision => {
      const outcome = outcomes[index];
      return {
        kind: report.kind,
        namespace: pods[index].namespace ?? defaultNamespace,
        name: report.name,
        container: report.container,
        containerType: report.containerType,
        path: report.path,
        document: report.document,
        item: report.item,
        decision: outcome.ok ? Object.assign({}, outcome.decision, { policySource: outcome.decision.policySource === 'plugin' ? 'plugin' : sources[index] }) : null,
        error: outcome.ok ? null : outcome.error,
      };
    });
    return { results: withImageVolumeDecisions(results, result.containers), warnings: result.warnings, errors: result.errors };
  }

  private answerFor(plan: DecisionPlan, asked: Map<string, Promise<RegistryAnswer>>): Promise<RegistryAnswer | null> | RegistryAnswer | null {
    if (plan.simulated !== null) return plan.simulated;
    const question = plan.question;
    if (question === null || this.lookup === null) return null;
    const key = questionKey(question);
    let pending = asked.get(key);
    if (pending === undefined) {
      pending = this.ask(question);
      asked.set(key, pending);
    }
    return pending;
  }

  private async ask(question: RegistryQuestion): Promise<RegistryAnswer> {
    try {
      const options: DigestLookupOptions = {};
      if (question.platform !== null) options.platform = question.platform;
      if (question.pullSecrets.length > 0) options.pullSecrets = question.pullSecrets.map((dockerconfigjson) => ({ dockerconfigjson }));
      return answerFromLookup(await (this.lookup as DigestLookup).resolve(question.reference, options));
    } catch (error) {
      return answerFromError(error);
    }
  }
}

/** GraphQL gives absent optional fields as null; the core reads them as absent. */
export function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== null && field !== undefined) out[key] = withoutNulls(field);
  return out;
}

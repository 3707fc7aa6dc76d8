/**
 * The organisation's rule plugins on top of the API server's defaulting: how a plugin run (its verdicts,
 * warnings, deny and mutations) shapes the answers of `POST /v1/pull-policy/default` (operation `default`)
 * and `POST /v1/manifests/default` (operation `manifest`, one run per container). Pure: the service runs
 * the plugins and hands their results in.
 *
 * Plugins run after the defaulting, so they see the policy the API server gives. Defaulting answers
 * "what would happen", so a deny is reported, never an HTTP error: `denied: true`, `deniedBy` (the
 * plugin), `denyMessages` and a warning. `warn` adds warnings; `mutate` changes the image and/or policy of
 * the answer (written into the returned manifests), and `beforePlugins` keeps what the defaulting gave.
 */
import type { PluginReport, PluginRequestContext, PluginRunResult } from '../common/plugin-run.js';
import type { ParsedReference, PullPolicy } from '../reference/parsed-reference.js';
import type { ContainerChange, ContainerReason, ContainerReport, ManifestsResult, ManifestsWalk } from './manifests.js';
import { isPullPolicy, policyWarnings, type PullPolicyInput, type PullPolicyReason, type PullPolicyResult } from './pull-policy.js';

/** Why the answer's policy is what it is: the API server's reasons, or `Plugin` when a rule plugin changed it. */
export type PolicyAnswerReason = PullPolicyReason | 'Plugin';

/** Where the image is used, as the rule plugins see it (every field optional). */
export interface PolicyContextInput {
  namespace?: string;
  labels?: Record<string, string>;
  kind?: string;
  name?: string;
  container?: string;
  [key: string]: unknown;
}

export interface DefaultPolicyInput extends PullPolicyInput {
  /** Where the image is used, for the rule plugins (namespace, labels, kind, name, container, …). */
  context?: PolicyContextInput | null;
}

/** The fields the rule plugins add to an answer. */
export interface PluginOutcome {
  /** The plugins' verdicts, in run order (empty when no plugin ran). */
  plugins: PluginReport[];
  /** True when a plugin denied the image. */
  denied: boolean;
  /** The plugin that denied, or null. */
  deniedBy: string | null;
  /** `<plugin>: <message>` of the deny. */
  denyMessages: string[];
}

/** The answer of `POST /v1/pull-policy/default` and GraphQL `defaultPullPolicy`. */
export interface PullPolicyAnswer extends Omit<PullPolicyResult, 'reason' | 'imagePullPolicy'>, PluginOutcome {
  imagePullPolicy: PullPolicy;
  reason: PolicyAnswerReason;
  /** What the API server's defaulting gave before the plugins changed the image or the policy; null when they changed nothing. */
  beforePlugins: { image: string; imagePullPolicy: PullPolicy; reason: PullPolicyReason } | null;
}

/** The text a deny adds to the warnings (the same words as a denied pull decision's message). */
export function deniedText(denyMessages: readonly string[]): string {
  return `denied by policy: ${denyMessages.join('; ')}`;
}

function deniedByOf(run: PluginRunResult): string | null {
  if (!run.denied) return null;
  for (let i = run.plugins.length - 1; i >= 0; i--) if (run.plugins[i].verdict === 'deny') return run.plugins[i].name;
  return null;
}

/** A defaulting answer when no plugin runs (none is active for `default`, or the image does not parse). */
export function withoutPlugins(result: PullPolicyResult): PullPolicyAnswer {
  return Object.assign({}, result, { plugins: [], denied: false, deniedBy: null, denyMessages: [], beforePlugins: null }); // a spread is slow in V8 here
}

/**
 * Warnings about the image and policy, recomputed when the plugins changed them: the API server's remarks
 * about its own default stay only when they still hold for the final image and policy.
 */
function rewarn(warnings: readonly string[], before: readonly string[], reference: ParsedReference, policy: PullPolicy): string[] {
  const stale = new Set(before);
  const out = warnings.filter((warning) => !stale.has(warning));
  for (const warning of policyWarnings(reference, policy, 'Specified')) if (!out.includes(warning)) out.push(warning);
  return out;
}

/** The defaulting answer with a plugin run (operation `default`) applied. */
export function withPolicyPluginRun(result: PullPolicyResult, reference: ParsedReference, run: PluginRunResult): PullPolicyAnswer {
  const changed = run.imageMutated || run.policyMutated;
  let warnings = result.warnings;
  if (changed) {
    const before = result.reason === 'AlwaysPullImages' ? [] : policyWarnings(reference, result.imagePullPolicy, result.reason);
    warnings = rewarn(warnings, before, run.reference, run.imagePullPolicy);
  }
  warnings = [...warnings, ...run.warnings];
  if (run.denied) warnings.push(deniedText(run.denyMessages));
  return {
    image: run.image,
    imagePullPolicy: run.imagePullPolicy,
    defaulted: result.defaulted,
    imageValid: result.imageValid,
    reason: run.policyMutated ? 'Plugin' : result.reason,
    warnings,
    plugins: run.plugins,
    denied: run.denied,
    deniedBy: deniedByOf(run),
    denyMessages: run.denyMessages,
    beforePlugins: changed ? { image: result.image, imagePullPolicy: result.imagePullPolicy, reason: result.reason } : null,
  };
}

/** The context plugins get for the defaulting of one image: the caller's, without nulls (GraphQL sends them). */
export function policyContext(context: PolicyContextInput | null | undefined): PluginRequestContext | undefined {
  if (context === null || context === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) if (value !== null && value !== undefined) out[key] = value;
  return out as PluginRequestContext;
}

/** The plugin context of one container of the manifests: namespace (or the default), labels, kind, name, container. */
export function containerContext(walk: ManifestsWalk, index: number, defaultNamespace: string): PluginRequestContext {
  const report = walk.containers[index];
  const pod = walk.pods[index];
  const context: Record<string, unknown> = { namespace: pod.namespace ?? defaultNamespace, labels: pod.labels, kind: report.kind };
  if (report.name !== null) context.name = report.name;
  if (report.container !== null) context.container = report.container;
  context.containerType = report.containerType;
  if (report.volume !== undefined && report.volume !== null) context.volume = report.volume; // image volumes (containerType imageVolume)
  return context as PluginRequestContext;
}

/** The containers the plugins are asked about: an image that parses and a policy the API server stores. */
export function pluginTarget(walk: ManifestsWalk, index: number): { reference: ParsedReference; policy: PullPolicy } | null {
  const reference = walk.references[index];
  const policy = walk.containers[index].imagePullPolicy;
  return reference === null || !isPullPolicy(policy) ? null : { reference, policy };
}

/** `Kind namespace/name path`, as the warning headers name a container. */
function containerLabel(report: ContainerReport): string {
  return `${report.kind} ${report.namespace === null ? '' : `${report.namespace}/`}${report.name ?? '(unnamed)'} ${report.path}`;
}

/** Applies one container's plugin run to its report; returns the change to write into the manifests. */
function applyContainerRun(report: ContainerReport, reference: ParsedReference, run: PluginRunResult): ContainerChange | undefined {
  report.plugins = run.plugins;
  report.denied = run.denied;
  report.deniedBy = deniedByOf(run);
  report.denyMessages = run.denyMessages;
  let change: ContainerChange | undefined;
  if (run.imageMutated || run.policyMutated) {
    const before = { image: report.image, imagePullPolicy: report.imagePullPolicy, reason: report.reason as ContainerReason };
    report.beforePlugins = before;
    if (!(report.reason === 'AlwaysPullImages' && !run.policyMutated)) {
      const stale =
        report.reason === 'AlwaysPullImages' || !isPullPolicy(before.imagePullPolicy)
          ? []
          : policyWarnings(reference, before.imagePullPolicy, report.reason === 'Kept' || report.reason === 'Plugin' ? 'Specified' : report.reason);
      report.warnings = rewarn(report.warnings, stale, run.reference, run.imagePullPolicy);
    }
    // Pods created from a template under AlwaysPullImages still get Always; otherwise pods run with the final policy.
    if (report.podPullPolicy === report.imagePullPolicy) report.podPullPolicy = run.imagePullPolicy;
    report.image = run.image;
    report.imagePullPolicy = run.imagePullPolicy;
    if (run.policyMutated) report.reason = 'Plugin';
    change = {
      ...(run.imageMutated ? { image: run.image } : {}),
      ...(run.policyMutated ? { imagePullPolicy: run.imagePullPolicy } : {}),
    };
  }
  if (run.warnings.length > 0) report.warnings.push(...run.warnings);
  return change;
}

/**
 * The manifests answer with the plugin runs (aligned with `walk.containers`; null where no plugin ran)
 * applied: reports, deny warnings, and the mutations written into the manifests in the form given.
 */
export function manifestsWithPluginRuns(walk: ManifestsWalk, runs: ReadonlyArray<PluginRunResult | null>): ManifestsResult {
  const changes: Array<ContainerChange | undefined> = new Array(walk.containers.length);
  const warnings = [...walk.warnings];
  let denied = false;
  walk.containers.forEach((report, index) => {
    const run = runs[index];
    const reference = walk.references[index];
    if (run === null || run === undefined || reference === null) return;
    changes[index] = applyContainerRun(report, reference, run);
    if (run.denied) {
      denied = true;
      warnings.push(`${containerLabel(report)}: ${deniedText(run.denyMessages)}`);
    }
  });
  return { format: walk.format, manifests: walk.render(changes), containers: walk.containers, warnings, errors: walk.errors, denied };
}

/** The manifests answer when no plugin runs. */
export function manifestsWithoutPlugins(walk: ManifestsWalk): ManifestsResult {
  return { format: walk.format, manifests: walk.render(), containers: walk.containers, warnings: walk.warnings, errors: walk.errors, denied: false };
}

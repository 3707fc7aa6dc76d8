/**
 * The admission webhook's decisions. For each container an admitted object brings (on UPDATE: only those
 * with an image the old object did not have, as AlwaysPullImages does), the organisation's plugins run
 * (operation `admission`) on the image and its policy — given, or defaulted as the API server does:
 *
 * - mutate: the plugins' changes (mirror rewrites, digest pinning, forced `Always`) and the defaulted
 *   `imagePullPolicy` as a JSONPatch; `warn` verdicts as warnings; a `deny` refuses.
 * - validate: `deny` verdicts refuse (`allowed: false`, the message names the plugin); warnings are passed on.
 *
 * Subresources (`pods/ephemeralcontainers` from `kubectl debug`, `status`, …), DELETE and CONNECT are allowed
 * untouched. The whole evaluation has a time budget (ADMISSION_TIMEOUT_MS, capped by the API server's own
 * `?timeout=`), and every plugin call in it is bounded by the time the review has left. Running out of it —
 * or failing unexpectedly — answers by the webhook's failure policy (ADMISSION_VALIDATE_FAILURE_POLICY,
 * default Fail: refuse, `code 504`, `reason: Timeout`; ADMISSION_MUTATE_FAILURE_POLICY, default Ignore:
 * allow unchanged with a warning), within the budget, and says so in the answer and its audit annotations.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Logger } from 'pino';
import { Counter } from 'prom-client';
import { LOGGER } from '../common/logger.js';
import { type AdmissionFailurePolicy, APP_CONFIG, type AppConfig } from '../config/config.js';
import { PluginHost } from '../plugin-host/plugin-host.service.js';
import type { PluginRunResult } from '../plugin-host/plugin-runner.js';
import { defaultOutcomeOf, isPullPolicy } from '../pull-policy/pull-policy.js';
import { parseReference } from '../reference/parse.js';
import type { PullPolicy } from '../reference/parsed-reference.js';
import { type AdmissionRequest, type AdmissionResponse, encodePatch, type JsonPatchOperation } from './admission-review.js';
import { type AdmittedContainer, containersOf, imageVolumesOf, podLabelsOf, podSpecPath } from './pod-containers.js';

export type Webhook = 'mutate' | 'validate';

const reviews = new Counter({
  name: 'image_policy_admission_reviews_total',
  help: 'Admission reviews answered, by webhook and outcome (allowed, patched, denied, skipped, timeout, error)',
  labelNames: ['webhook', 'outcome'] as const,
});

interface ContainerOutcome {
  container: AdmittedContainer;
  run: PluginRunResult | null;
  policy: PullPolicy | null;
  note: string | null;
}

const TIMED_OUT = Symbol('timed out');
/** The review's budget ran out inside a plugin run (the runner stopped waiting for, or did not run, a plugin). */
class BudgetExhausted extends Error {}
/** Time kept back from the API server's timeout for the answer to travel. */
const TRANSIT_MARGIN_MS = 300;

/** `10s`, `1.5s`, `500ms` (Go durations as the API server writes `?timeout=`) in milliseconds. */
export function parseTimeoutQuery(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(value.trim());
  if (match === null) return null;
  const amount = Number(match[1]);
  return match[2] === 'ms' ? amount : match[2] === 's' ? amount * 1000 : amount * 60_000;
}

function describe(container: AdmittedContainer): string {
  const what = { containers: 'container', initContainers: 'init container', ephemeralContainers: 'ephemeral container', imageVolume: 'image volume' }[container.list];
  return `${what} "${container.name ?? container.index}"`;
}

@Injectable()
export class AdmissionService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'admissionTimeoutMs' | 'admissionFailurePolicy'>,
    @Optional() @Inject(PluginHost) private readonly plugins: PluginHost | null = null,
    @Optional() @Inject(LOGGER) private readonly logger: Logger | null = null,
  ) {}

  /** The budget of one review: ADMISSION_TIMEOUT_MS, or less when the API server waits less. */
  budgetMs(timeoutQuery?: unknown): number {
    const serverTimeout = parseTimeoutQuery(timeoutQuery);
    return serverTimeout === null ? this.config.admissionTimeoutMs : Math.max(50, Math.min(this.config.admissionTimeoutMs, serverTimeout - TRANSIT_MARGIN_MS));
  }

  async review(webhook: Webhook, request: AdmissionRequest, budgetMs: number = this.config.admissionTimeoutMs): Promise<AdmissionResponse> {
    const skipped = this.skipReason(request);
    if (skipped !== null) {
      reviews.labels(webhook, 'skipped').inc();
      return { uid: request.uid, allowed: true, auditAnnotations: { outcome: 'skipped', reason: skipped } };
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, budgetMs, TIMED_OUT);
    });
    const timedOut = (): AdmissionResponse =>
      this.failed(webhook, request, 'timeout', `the image policy was not evaluated within ${budgetMs} ms (ADMISSION_TIMEOUT_MS)`);
    try {
      const outcome = await Promise.race([this.evaluate(webhook, request, performance.now() + budgetMs), deadline]);
      return outcome === TIMED_OUT ? timedOut() : outcome;
    } catch (error) {
      if (error instanceof BudgetExhausted) return timedOut();
      this.logger?.error({ err: error, uid: request.uid }, 'admission review failed');
      return this.failed(webhook, request, 'error', 'the image policy could not be evaluated (internal error)');
    } finally {
      clearTimeout(timer);
    }
  }

  private skipReason(request: AdmissionRequest): string | null {
    if (request.operation === 'DELETE' || request.operation === 'CONNECT') return `${request.operation} is not checked`;
    // `kubectl debug` adds ephemeral containers through pods/ephemeralcontainers: checked like an update of the
    // Pod (its new images only), or any image could run past the rules. Kubernetes' own policy admission does
    // the same (plugin/pkg/admission/serviceaccount/admission.go shouldIgnore, since CVE-2023-2727/2728).
    if (request.subResource && !(request.subResource === 'ephemeralcontainers' && request.kind.kind === 'Pod' && (request.kind.group ?? '') === '')) {
      return `subresource ${request.subResource} is not checked`;
    }
    if (podSpecPath(request.kind) === null) return `${request.kind.group ? `${request.kind.group}/` : ''}${request.kind.kind} has no pod template`;
    return null;
  }

  private failed(webhook: Webhook, request: AdmissionRequest, kind: 'timeout' | 'error', problem: string): AdmissionResponse {
    reviews.labels(webhook, kind).inc();
    const policy: AdmissionFailurePolicy = this.config.admissionFailurePolicy[webhook];
    const variable = webhook === 'validate' ? 'ADMISSION_VALIDATE_FAILURE_POLICY' : 'ADMISSION_MUTATE_FAILURE_POLICY';
    this.logger?.warn({ uid: request.uid, webhook, kind, failurePolicy: policy }, `admission review: ${problem}`);
    if (policy === 'Ignore') {
      return {
        uid: request.uid,
        allowed: true,
        warnings: [`image policy: ${problem}; allowed unchecked (${variable}=Ignore)`],
        auditAnnotations: { outcome: `${kind}-allowed`, failurePolicy: policy },
      };
    }
    return {
      uid: request.uid,
      allowed: false,
      status:
        kind === 'timeout'
          ? { code: 504, reason: 'Timeout', message: `image policy: ${problem}; refused (${variable}=Fail)` }
          : { code: 500, reason: 'InternalError', message: `image policy: ${problem}; refused (${variable}=Fail)` },
      auditAnnotations: { outcome: `${kind}-denied`, failurePolicy: policy },
    };
  }

  /** `deadline` (performance.now() time): every plugin run is given only what is left of the review's budget. */
  private async evaluate(webhook: Webhook, request: AdmissionRequest, deadline: number): Promise<AdmissionResponse> {
    const path = podSpecPath(request.kind) as readonly string[];
    const object = request.object as Record<string, unknown>;
    let containers = containersOf(object, path);
    // Image volumes go through the same plugins and defaulting patch (at /…/volumes/N/image/pullPolicy).
    let volumes = imageVolumesOf(object, path);
    if (request.operation === 'UPDATE') {
      const before = new Set(containersOf(request.oldObject, path).map((c) => c.image));
      containers = containers.filter((c) => !before.has(c.image));
      const volumesBefore = new Set(imageVolumesOf(request.oldObject, path).map((v) => v.image));
      volumes = volumes.filter((v) => !volumesBefore.has(v.image));
    }
    containers = containers.concat(volumes);
    const metadata = (object.metadata ?? {}) as { name?: unknown; generateName?: unknown; namespace?: unknown; labels?: unknown };
    const namespace = request.namespace || (typeof metadata.namespace === 'string' ? metadata.namespace : undefined);
    const name = request.name || (typeof metadata.name === 'string' ? metadata.name : typeof metadata.generateName === 'string' ? metadata.generateName : undefined);
    const labels = podLabelsOf(object, path);
    const username = request.userInfo?.username;
    const outcomes = await Promise.all(
      containers.map(async (container): Promise<ContainerOutcome> => {
        const given = container.imagePullPolicy;
        if (given !== undefined && given !== null && given !== '' && !isPullPolicy(given)) {
          return { container, run: null, policy: null, note: null }; // the API server rejects the value itself
        }
        const parsed = parseReference(container.image);
        const policy = isPullPolicy(given) ? given : defaultOutcomeOf(parsed).policy;
        if (!parsed.ok) {
          return { container, run: null, policy, note: `${describe(container)}: image "${container.image}" is not a valid reference (${parsed.error}); the kubelet will fail with InvalidImageName` };
        }
        if (this.plugins === null || !this.plugins.has('admission')) return { container, run: null, policy, note: null };
        // Built by assignment: conditional spreads (`...(x === undefined ? {} : { x })`) cost V8 here about
        // 3 µs each, five times per container — most of a review's time (measured: 180 µs → 35 µs a review).
        const context: Record<string, unknown> = { labels, kind: request.kind.kind, containerType: container.list, admissionOperation: request.operation, dryRun: request.dryRun === true };
        if (namespace !== undefined) context.namespace = namespace;
        if (name !== undefined) context.name = name;
        if (container.name !== null) context[container.list === 'imageVolume' ? 'volume' : 'container'] = container.name;
        if (username !== undefined) context.username = username;
        const run = await this.plugins.run({ image: parsed.reference, imagePullPolicy: policy, operation: 'admission', context }, { budgetMs: deadline - performance.now() });
        // Out of time: the webhook's failure policy decides, not the plugin's (a Fail plugin would deny, an
        // Ignore one would let the image through unchecked, whatever the webhook promises).
        if (run.budgetExhausted) throw new BudgetExhausted();
        return { container, run, policy, note: null };
      }),
    );

    const denials: string[] = [];
    const warnings: string[] = [];
    const patch: JsonPatchOperation[] = [];
    const mutatedPlugins = new Set<string>();
    const isPodUpdate = request.kind.kind === 'Pod' && request.operation === 'UPDATE';
    for (const { container, run, policy, note } of outcomes) {
      if (note !== null) warnings.push(note);
      if (run !== null) {
        for (const message of run.denyMessages) denials.push(`${describe(container)} (image ${container.image}): ${message}`);
        for (const message of run.warnings) warnings.push(`${describe(container)} (image ${container.image}): ${message}`);
      }
      if (webhook !== 'mutate' || policy === null || (run !== null && run.denied)) continue;
      const image = run?.image ?? container.image;
      const finalPolicy = run?.imagePullPolicy ?? policy;
      if (image !== container.image) {
        patch.push({ op: 'replace', path: `${container.pointer}/${container.imageKey}`, value: image });
        for (const report of run?.plugins ?? []) if (report.mutated?.image !== undefined) mutatedPlugins.add(report.name);
      }
      if (container.imagePullPolicy === undefined || container.imagePullPolicy === null || container.imagePullPolicy === '') {
        if (!isPodUpdate) patch.push({ op: 'add', path: `${container.pointer}/${container.policyKey}`, value: finalPolicy });
      } else if (finalPolicy !== container.imagePullPolicy) {
        if (isPodUpdate) {
          warnings.push(`${describe(container)}: the plugins set ${container.policyKey} ${finalPolicy}, but a Pod's policy cannot change on update; it stays ${String(container.imagePullPolicy)}`);
        } else {
          patch.push({ op: 'replace', path: `${container.pointer}/${container.policyKey}`, value: finalPolicy });
          for (const report of run?.plugins ?? []) if (report.mutated?.imagePullPolicy !== undefined) mutatedPlugins.add(report.name);
        }
      }
    }

    const audit: Record<string, string> = { containers: String(outcomes.length) };
    if (denials.length > 0) {
      reviews.labels(webhook, 'denied').inc();
      return {
        uid: request.uid,
        allowed: false,
        status: { code: 403, reason: 'Forbidden', message: `image policy denied ${request.kind.kind}${name === undefined ? '' : ` ${name}`}: ${denials.join('; ')}` },
        ...(warnings.length > 0 ? { warnings } : {}),
        auditAnnotations: Object.assign(audit, { outcome: 'denied' }),
      };
    }
    const response: AdmissionResponse = { uid: request.uid, allowed: true };
    if (patch.length > 0) {
      response.patchType = 'JSONPatch';
      response.patch = encodePatch(patch);
      audit.mutatedBy = [...mutatedPlugins].join(',') || 'defaulting';
    }
    if (warnings.length > 0) response.warnings = warnings;
    audit.outcome = patch.length > 0 ? 'patched' : 'allowed';
    response.auditAnnotations = audit;
    reviews.labels(webhook, patch.length > 0 ? 'patched' : 'allowed').inc();
    return response;
  }
}

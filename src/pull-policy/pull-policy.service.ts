import { Inject, Injectable, Optional } from '@nestjs/common';
import { PluginHost } from '../plugin-host/plugin-host.service.js';
import type { PluginRunResult } from '../plugin-host/plugin-runner.js';
import { parseReference } from '../reference/parse.js';
import { type ManifestsInput, type ManifestsResult, walkManifestsDeferred } from './manifests.js';
import {
  containerContext,
  type DefaultPolicyInput,
  manifestsWithoutPlugins,
  manifestsWithPluginRuns,
  pluginTarget,
  policyContext,
  type PullPolicyAnswer,
  withoutPlugins,
  withPolicyPluginRun,
} from './pull-policy-plugins.js';
import { resolvePullPolicy } from './pull-policy.js';

/** Namespace of manifest objects that name none (the kubectl context), as the plugins see it. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * The transports' entry to the pure pull-policy cores (REST, GraphQL, the admission webhook), followed by
 * the organisation's rule plugins (operations `default` and `manifest`) when some are active. Answers are
 * synchronous unless a plugin answers asynchronously.
 */
@Injectable()
export class PullPolicyService {
  constructor(@Optional() @Inject(PluginHost) private readonly plugins: PluginHost | null = null) {}

  /** The policy one container gets, then the plugins' verdicts; a given value the API rejects is an InvalidPullPolicy error. */
  defaultPolicy(input: DefaultPolicyInput): PullPolicyAnswer | Promise<PullPolicyAnswer> {
    const parsed = parseReference(input.image);
    const result = resolvePullPolicy(input, parsed);
    // An unparsable image is left to the kubelet's InvalidImageName (the answer already says so), as for decisions.
    if (this.plugins === null || !parsed.ok || !this.plugins.has('default')) return withoutPlugins(result);
    const reference = parsed.reference;
    const run = this.plugins.runMaybeSync({ image: reference, imagePullPolicy: result.imagePullPolicy, context: policyContext(input.context), operation: 'default' });
    return run instanceof Promise ? run.then((settled) => withPolicyPluginRun(result, reference, settled)) : withPolicyPluginRun(result, reference, run);
  }

  /** Manifests with imagePullPolicy filled in, in the form given, plus the per-container report; then the plugins, per container. */
  defaultManifests(input: ManifestsInput): ManifestsResult | Promise<ManifestsResult> {
    const walk = walkManifestsDeferred(input);
    if (this.plugins === null || !this.plugins.has('manifest')) return manifestsWithoutPlugins(walk);
    const host = this.plugins;
    const namespace = input.namespace ?? DEFAULT_NAMESPACE;
    const runs: Array<PluginRunResult | Promise<PluginRunResult> | null> = new Array(walk.containers.length);
    let pending = false;
    for (let index = 0; index < walk.containers.length; index++) {
      const target = pluginTarget(walk, index);
      if (target === null) {
        runs[index] = null;
        continue;
      }
      const run = host.runMaybeSync({ image: target.reference, imagePullPolicy: target.policy, context: containerContext(walk, index, namespace), operation: 'manifest' });
      if (run instanceof Promise) pending = true;
      runs[index] = run;
    }
    if (!pending) return manifestsWithPluginRuns(walk, runs as Array<PluginRunResult | null>);
    return Promise.all(runs).then((settled) => manifestsWithPluginRuns(walk, settled));
  }
}

import { Args, Query, Resolver } from '@nestjs/graphql';
import type { ManifestsResult } from './manifests.js';
import { DefaultManifestsArgs, DefaultManifestsResponseDto, DefaultPullPolicyBody, PullPolicyResultDto } from './pull-policy.dto.js';
import type { PullPolicyAnswer } from './pull-policy-plugins.js';
import { PullPolicyService } from './pull-policy.service.js';

@Resolver()
export class PullPolicyResolver {
  constructor(private readonly policies: PullPolicyService) {}

  @Query(() => PullPolicyResultDto, { description: 'The imagePullPolicy the API server gives a container, then the rule plugins\' verdicts (a deny is reported, not an error); an unsupported value is an InvalidPullPolicy error' })
  defaultPullPolicy(@Args() args: DefaultPullPolicyBody): PullPolicyAnswer | Promise<PullPolicyAnswer> {
    return this.policies.defaultPolicy(args);
  }

  @Query(() => DefaultManifestsResponseDto, { description: 'Manifests (YAML or JSON text) with imagePullPolicy filled in and the rule plugins\' rewrites written in, and a per-container report with their verdicts' })
  defaultManifests(@Args() args: DefaultManifestsArgs): ManifestsResult | Promise<ManifestsResult> {
    return this.policies.defaultManifests({
      manifests: args.manifests,
      previous: args.previous ?? undefined,
      alwaysPullImages: args.alwaysPullImages ?? undefined,
      update: args.update ?? undefined,
      namespace: args.namespace ?? undefined,
      kubernetesVersion: args.kubernetesVersion ?? undefined,
      featureGates: args.featureGates ?? undefined,
    });
  }
}

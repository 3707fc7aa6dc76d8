import { Args, Query, Resolver } from '@nestjs/graphql';
import type { ManifestsResult } from './manifests.js';
import { DefaultManifestsArgs, DefaultManifestsResponseDto, DefaultPullPolicyBody, PullPolicyResultDto } from './pull-policy.dto.js';
import type { PullPolicyResult } from './pull-policy.js';
import { PullPolicyService } from './pull-policy.service.js';

@Resolver()
export class PullPolicyResolver {
  constructor(private readonly policies: PullPolicyService) {}

  @Query(() => PullPolicyResultDto, { description: 'The imagePullPolicy the API server gives a container; an unsupported value is an InvalidPullPolicy error' })
  defaultPullPolicy(@Args() args: DefaultPullPolicyBody): PullPolicyResult {
    return this.policies.defaultPolicy(args);
  }

  @Query(() => DefaultManifestsResponseDto, { description: 'Manifests (YAML or JSON text) with imagePullPolicy filled in, and a per-container report' })
  defaultManifests(@Args() args: DefaultManifestsArgs): ManifestsResult {
    return this.policies.defaultManifests({
      manifests: args.manifests,
      previous: args.previous ?? undefined,
      alwaysPullImages: args.alwaysPullImages ?? undefined,
      update: args.update ?? undefined,
    });
  }
}

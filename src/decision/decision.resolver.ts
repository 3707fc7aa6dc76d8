import { Args, Query, Resolver } from '@nestjs/graphql';
import { ApiError, ErrorCode } from '../common/errors.js';
import { ManifestDecisionsArgs, ManifestDecisionsDto, PullDecisionDto, PullDecisionInputDto, PullDecisionResultDto } from './decision.dto.js';
import { LIMITS } from './decision.schemas.js';
import { type DecisionOutcome, DecisionService, type ManifestDecisions, type ManifestDecisionsInput, withoutNulls } from './decision.service.js';
import type { PullDecision, PullDecisionInput } from './decision.types.js';

@Resolver()
export class DecisionResolver {
  constructor(private readonly decisions: DecisionService) {}

  @Query(() => PullDecisionDto, { description: 'What the kubelet does when it starts this container, and why' })
  pullDecision(@Args('input') input: PullDecisionInputDto): Promise<PullDecision> {
    return this.decisions.decide(withoutNulls(input) as PullDecisionInput);
  }

  @Query(() => [PullDecisionResultDto], {
    description: `Up to ${LIMITS.batch} decisions, in input order; the registry is asked once per distinct reference and credentials`,
  })
  pullDecisions(@Args('inputs', { type: () => [PullDecisionInputDto] }) inputs: PullDecisionInputDto[]): Promise<DecisionOutcome[]> {
    if (inputs.length > LIMITS.batch) throw new ApiError(ErrorCode.InvalidRequest, `inputs must contain at most ${LIMITS.batch} items`);
    return this.decisions.decideMany(inputs.map((input) => withoutNulls(input) as PullDecisionInput));
  }

  @Query(() => ManifestDecisionsDto, { description: 'What would happen on this node for every container of some manifests (YAML or JSON text)' })
  manifestPullDecisions(@Args() args: ManifestDecisionsArgs): Promise<ManifestDecisions> {
    return this.decisions.decideManifests(withoutNulls(args) as ManifestDecisionsInput);
  }
}

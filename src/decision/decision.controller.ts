import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { RouteSchema } from '@nestjs/platform-fastify';
import { ApiBadRequestResponse, ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { ManifestDecisionsArgs, ManifestDecisionsDto, PullDecisionsBatchBody, PullDecisionsBatchResponseDto } from './decision.dto.js';
import { manifestDecisionsBodySchema, pullDecisionsBatchBodySchema, pullDecisionsBatchResponseSchema } from './decision.schemas.js';
import { type DecisionOutcome, DecisionService, type ManifestDecisions, type ManifestDecisionsInput } from './decision.service.js';
import type { PullDecisionInput } from './decision.types.js';

@ApiTags('pull-decisions')
// POST /v1/pull-decisions (one decision, the hot route) is served by Fastify directly: decision.routes.ts.
@Controller('v1/pull-decisions')
export class DecisionController {
  constructor(private readonly decisions: DecisionService) {}

  @Post('batch')
  @HttpCode(200)
  @ApiOperation({ operationId: 'decidePulls', summary: 'Up to 1 000 decisions in one call; each answer is ok or carries its error, in input order; the registry is asked once per distinct reference and credentials' })
  @ApiBody({ type: PullDecisionsBatchBody })
  @ApiOkResponse({ type: PullDecisionsBatchResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidRequest' })
  @RouteSchema({ body: pullDecisionsBatchBodySchema, response: { 200: pullDecisionsBatchResponseSchema } })
  async decideMany(@Body() body: { decisions: PullDecisionInput[] }): Promise<{ results: DecisionOutcome[] }> {
    return { results: await this.decisions.decideMany(body.decisions) };
  }

  @Post('manifests')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'decideManifestPulls',
    summary: 'What would happen on this node for every container of some manifests (a whole Deployment) in one call',
    description:
      'Each container gets the policy its pods get (defaulting, previous, AlwaysPullImages), the pod\'s pull secrets and service account ' +
      '(details from `secrets` / `serviceAccounts`), then the kubelet decision on `node`. The registry is asked once per distinct reference.',
  })
  @ApiBody({ type: ManifestDecisionsArgs })
  @ApiOkResponse({ type: ManifestDecisionsDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'InvalidManifest (malformed YAML, with line and column) or InvalidRequest' })
  @RouteSchema({ body: manifestDecisionsBodySchema })
  decideManifests(@Body() body: ManifestDecisionsInput): Promise<ManifestDecisions> {
    return this.decisions.decideManifests(body);
  }
}

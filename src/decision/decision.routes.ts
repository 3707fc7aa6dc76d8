import { type DirectRoute, openApiOperation } from '../common/direct-routes.js';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { PullDecisionDto, PullDecisionInputDto } from './decision.dto.js';
import { pullDecisionBodySchema, pullDecisionSchema } from './decision.schemas.js';
import type { DecisionService } from './decision.service.js';
import type { PullDecisionInput } from './decision.types.js';

/** POST /v1/pull-decisions, one decision, served by Fastify directly (see common/direct-routes.ts for why). */
export function decisionRoutes(decisions: DecisionService): DirectRoute[] {
  return [
    {
      method: 'POST',
      url: '/v1/pull-decisions',
      // Compiled schemas check the body and write the answer (class-validator costs about 10x more).
      schema: { body: pullDecisionBodySchema, response: { 200: pullDecisionSchema } },
      handle: (request) => decisions.decide(request.body as PullDecisionInput),
      openapi: openApiOperation({
        operationId: 'decidePull',
        tag: 'pull-decisions',
        summary: 'What the kubelet does when it starts this container: use the local image, pull, or fail — and why',
        description:
          'Models EnsureImageExists and credential verification (KEP-2535). The registry is asked when the decision depends on it ' +
          "(Always, or a pull), unless `registry` simulates its answer. For Fail, `reason` is the kubelet's error name and `message` its event text.",
        body: 'PullDecisionInputDto',
        ok: 'PullDecisionDto',
        errors: { 400: 'InvalidRequest (naming the field, policy name or allowlist entry) or InvalidPullPolicy' },
      }),
      models: [PullDecisionInputDto, PullDecisionDto, ErrorResponseDto],
    },
  ];
}

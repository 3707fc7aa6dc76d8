import { type DirectRoute, openApiOperation } from '../common/direct-routes.js';
import { ErrorResponseDto, ParsedReferenceDto } from './reference.dto.js';
import { parsedReferenceSchema, parseQuerySchema } from './reference.schemas.js';
import type { ReferenceService } from './reference.service.js';

/** GET /v1/references/parse, served by Fastify directly (see common/direct-routes.ts for why). */
export function referenceRoutes(references: ReferenceService): DirectRoute[] {
  return [
    {
      method: 'GET',
      url: '/v1/references/parse',
      schema: { querystring: parseQuerySchema, response: { 200: parsedReferenceSchema } },
      handle: (request) => references.parseShared((request.query as { reference: string }).reference),
      sharedAnswers: true,
      openapi: openApiOperation({
        operationId: 'parseReference',
        tag: 'references',
        summary: 'Parse one image reference exactly as Kubernetes does',
        query: [{ name: 'reference', required: true, description: 'Image reference as written in a pod spec', example: 'nginx:1.25' }],
        ok: 'ParsedReferenceDto',
        errors: { 400: "InvalidReference (with Kubernetes' error text) or InvalidRequest" },
      }),
      models: [ParsedReferenceDto, ErrorResponseDto],
    },
  ];
}

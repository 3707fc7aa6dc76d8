import { type DirectRoute, openApiOperation } from '../common/direct-routes.js';
import { ErrorResponseDto } from '../reference/reference.dto.js';
import { DigestAnswerDto } from './digest.dto.js';
import { digestAnswerSchema, digestQuerySchema } from './digest.schemas.js';
import type { DigestService } from './digest.service.js';

/** GET /v1/digests, the route of cached lookups, served by Fastify directly (see common/direct-routes.ts). */
export function digestRoutes(digests: DigestService): DirectRoute[] {
  return [
    {
      method: 'GET',
      url: '/v1/digests',
      schema: { querystring: digestQuerySchema, response: { 200: digestAnswerSchema } },
      handle: (request) => {
        const { image, platform } = request.query as { image: string; platform?: string };
        // A fresh cached answer is sent at once; anything else (platform, miss, stale, error) takes the full lookup.
        return (platform === undefined ? digests.cachedAnswer(image) : undefined) ?? digests.resolve(image, { platform });
      },
      sharedAnswers: true, // cachedAnswer's answers are shared; resolve's are promises, serialised each time
      openapi: openApiOperation({
        operationId: 'resolveDigest',
        tag: 'digests',
        summary: 'Resolve an image tag to its digest at the registry (cached; stale answers while the registry fails)',
        query: [
          { name: 'image', required: true, description: 'Image reference as written in a pod spec', example: 'nginx:1.25' },
          { name: 'platform', required: false, description: "os/architecture[/variant]: also answer the digest of that platform's manifest", example: 'linux/arm64' },
        ],
        ok: 'DigestAnswerDto',
        errors: {
          400: 'InvalidReference or InvalidRequest',
          403: 'RegistryNotAllowed (egress guard)',
          404: 'ManifestUnknown',
          502: 'RegistryUnauthorized',
          503: 'RegistryUnavailable or RegistryRateLimited (with Retry-After)',
          504: 'RegistryTimeout',
        },
      }),
      models: [DigestAnswerDto, ErrorResponseDto],
    },
  ];
}

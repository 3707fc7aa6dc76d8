/**
 * Compiled schemas for GET /v1/digests, the hot route of cached lookups (its speed target is 60 % of a
 * bare Fastify route): ajv checks the query and fast-json-stringify writes the answer. digest.dto.ts
 * documents the same shapes for OpenAPI; digest.schemas.spec.ts checks that no answer field is dropped.
 */
const string = { type: 'string' } as const;

export const digestQuerySchema = {
  type: 'object',
  required: ['image'],
  additionalProperties: false,
  properties: { image: string, platform: string },
} as const;

export const digestAnswerSchema = {
  type: 'object',
  required: ['image', 'reference', 'digest', 'mediaType', 'platform', 'source', 'stale', 'resolvedAt', 'expiresAt'],
  properties: {
    image: string,
    reference: string,
    digest: string,
    mediaType: string,
    platform: {
      type: ['object', 'null'],
      required: ['platform', 'digest', 'mediaType'],
      properties: { platform: string, digest: string, mediaType: string },
    },
    source: string,
    stale: { type: 'boolean' },
    resolvedAt: string,
    expiresAt: string,
  },
} as const;

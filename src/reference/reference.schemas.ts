/**
 * JSON schemas for the reference routes' hot paths. Fastify compiles them once: ajv checks the query
 * string and the batch body, and fast-json-stringify writes the single answer, which costs a fraction
 * of class-validator and JSON.stringify per request (the GET route's speed target is 70 % of a bare
 * Fastify route).
 */
import { MAX_REFERENCES_PER_REQUEST } from './reference.dto.js';

const nullableString = { type: ['string', 'null'] } as const;

export const parsedReferenceSchema = {
  type: 'object',
  required: ['input', 'name', 'domain', 'path', 'tag', 'digest', 'canonical', 'familiar', 'familiarName', 'pullReference', 'defaultPullPolicy'],
  properties: {
    input: { type: 'string' },
    name: { type: 'string' },
    domain: { type: 'string' },
    path: { type: 'string' },
    tag: nullableString,
    digest: nullableString,
    canonical: { type: 'string' },
    familiar: { type: 'string' },
    familiarName: { type: 'string' },
    pullReference: { type: 'string' },
    defaultPullPolicy: { type: 'string' },
  },
} as const;

export const parseQuerySchema = {
  type: 'object',
  required: ['reference'],
  additionalProperties: false,
  properties: { reference: { type: 'string' } },
} as const;

export const parseManyBodySchema = {
  type: 'object',
  required: ['references'],
  additionalProperties: false,
  properties: { references: { type: 'array', minItems: 1, maxItems: MAX_REFERENCES_PER_REQUEST, items: { type: 'string' } } },
} as const;

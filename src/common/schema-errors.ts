import type { FastifySchemaValidationError } from 'fastify';
import { ApiError, ErrorCode } from './errors.js';

/** `/references/3` → `references[3]`; `` with a property → that property. */
function fieldOf(error: FastifySchemaValidationError): string {
  return error.instancePath
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/**
 * Words for ajv's errors (routes validated by a Fastify schema) in the same style as the
 * class-validator messages: the field is named and the problem is said plainly.
 */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): ApiError {
  const messages = errors.map((error) => {
    const field = fieldOf(error);
    const params = error.params as Record<string, unknown>;
    switch (error.keyword) {
      case 'required':
        return `${field ? `${field}.` : ''}${String(params.missingProperty)} is required`;
      case 'additionalProperties':
        return `property ${String(params.additionalProperty)} should not exist`;
      case 'type': {
        const type = String(params.type);
        if (!field && type === 'object') return `Request ${dataVar} must be a JSON object`;
        const article = /^[aeiou]/.test(type) ? 'an' : 'a';
        // A repeated query parameter arrives as an array where a string is expected.
        const once = dataVar === 'querystring' && type === 'string' ? ', given once' : '';
        return `${field || dataVar} must be ${article} ${type}${once}`;
      }
      case 'minItems':
        return `${field} must contain at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
      case 'maxItems':
        return `${field} must contain at most ${String(params.limit)} items`;
      default:
        return `${field || dataVar} ${error.message ?? 'is not valid'}`;
    }
  });
  return new ApiError(ErrorCode.InvalidRequest, messages.join('; '));
}

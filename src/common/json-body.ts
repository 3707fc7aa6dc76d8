import type { FastifyInstance } from 'fastify';
import { ApiError, ErrorCode } from './errors.js';
import { nestingMessage, nestsDeeperThan } from './nesting.js';

/**
 * JSON request bodies: Fastify's own parser (prototype-poisoning and constructor-poisoning bodies are
 * refused, as by default), then a nesting check, so nothing recursive downstream (class-transformer, the
 * manifest walker) ever sees a body deeper than MAX_NESTING. Over the limit: `400 InvalidRequest`.
 */
export function installJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    parse(request, body as string, (error, value) => {
      if (error !== null) done(error, undefined);
      else if (nestsDeeperThan(value)) done(new ApiError(ErrorCode.InvalidRequest, nestingMessage('The request body')), undefined);
      else done(null, value);
    });
  });
}

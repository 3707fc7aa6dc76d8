import { type ArgumentsHost, Catch, type ExceptionFilter, Inject } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { JSON_CONTENT_TYPE } from './content-types.js';
import { ErrorCode } from './errors.js';
import { toApiError } from './http-errors.js';
import { LOGGER } from './logger.js';

/**
 * The one place REST errors are shaped: `{"error": {"code", "message"}}` with the code's status.
 * GraphQL errors are shaped in graphql-errors.ts from the same ApiError.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType<string>() === 'graphql') throw exception; // Apollo's formatError maps these
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const error = toApiError(exception);
    if (error.code === ErrorCode.InternalError) this.logger.error({ err: exception }, 'unhandled error');
    sendError(reply, error);
  }
}

export function sendError(reply: FastifyReply, error: ReturnType<typeof toApiError>): void {
  if (error.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.ceil(error.retryAfterSeconds)));
  void reply.status(error.status).type(JSON_CONTENT_TYPE).send({ error: error.toBody() });
}

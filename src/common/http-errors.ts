import { HttpException } from '@nestjs/common';
import { ApiError, ErrorCode } from './errors.js';

/** Fastify errors that come from the request itself (body, content type), by Fastify error code. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, { code: ErrorCode; message: (e: Error) => string }>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: ErrorCode.PayloadTooLarge, message: () => 'Request body is larger than the configured limit (BODY_LIMIT_BYTES)' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: ErrorCode.UnsupportedMediaType, message: (e) => `${e.message}; send application/json` },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: ErrorCode.InvalidRequest, message: () => 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: ErrorCode.InvalidRequest, message: () => 'Request body is empty; send a JSON object' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: ErrorCode.InvalidRequest, message: (e) => `Malformed JSON body: ${e.message}` },
  FST_ERR_CTP_EMPTY_TYPE: { code: ErrorCode.UnsupportedMediaType, message: () => 'Content-Type header is empty; send application/json' },
  FST_ERR_CTP_INVALID_TYPE: { code: ErrorCode.UnsupportedMediaType, message: () => 'Content-Type header is not valid; send application/json' },
};

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 401:
      return ErrorCode.Unauthorized;
    case 403:
      return ErrorCode.Forbidden;
    case 404:
      return ErrorCode.NotFound;
    case 405:
      return ErrorCode.MethodNotAllowed;
    case 413:
      return ErrorCode.PayloadTooLarge;
    case 415:
      return ErrorCode.UnsupportedMediaType;
    case 429:
      return ErrorCode.RateLimited;
    default:
      return status >= 500 ? ErrorCode.InternalError : ErrorCode.InvalidRequest;
  }
}

function messageOfHttpException(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * Turns anything thrown while answering a request into the service's error model. Unknown errors
 * become a 500 InternalError whose message reveals nothing internal (the cause is logged instead).
 */
export function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    // Fastify's body errors reach us already wrapped by Nest; give them a message that says what to do.
    if (status === 413) return new ApiError(ErrorCode.PayloadTooLarge, FASTIFY_CLIENT_ERRORS.FST_ERR_CTP_BODY_TOO_LARGE.message(exception));
    if (status === 415) return new ApiError(ErrorCode.UnsupportedMediaType, `${messageOfHttpException(exception)}; send application/json`);
    return new ApiError(codeForStatus(status), messageOfHttpException(exception));
  }
  if (exception instanceof Error) {
    const fastifyCode = (exception as { code?: unknown }).code;
    const known = typeof fastifyCode === 'string' ? FASTIFY_CLIENT_ERRORS[fastifyCode] : undefined;
    if (known) return new ApiError(known.code, known.message(exception));
    const status = (exception as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return new ApiError(codeForStatus(status), exception.message);
    }
    // Body-parser errors without a Fastify code (e.g. JSON.parse SyntaxError) are the client's.
    if (exception instanceof SyntaxError) return new ApiError(ErrorCode.InvalidRequest, `Malformed JSON body: ${exception.message}`);
  }
  return new ApiError(ErrorCode.InternalError, 'Internal error');
}

import type { GraphQLFormattedError } from 'graphql';
import { ApiError, ErrorCode } from './errors.js';
import { toApiError } from './http-errors.js';

/** Apollo's own codes for requests that are not valid GraphQL, mapped to the service's codes. */
const APOLLO_REQUEST_ERRORS = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * GraphQL errors carry the same codes as REST (`extensions.code`) and never a stack trace.
 * `original` is the error a resolver threw (Apollo wraps it).
 */
export function formatGraphqlError(formatted: GraphQLFormattedError, original: unknown): GraphQLFormattedError {
  const cause = (original as { originalError?: unknown } | null)?.originalError ?? original;
  const apolloCode = formatted.extensions?.code;
  let error: ApiError;
  if (cause instanceof ApiError || (cause instanceof Error && cause.constructor.name.endsWith('Exception'))) {
    error = toApiError(cause);
  } else if (typeof apolloCode === 'string' && APOLLO_REQUEST_ERRORS.has(apolloCode)) {
    error = new ApiError(ErrorCode.InvalidRequest, formatted.message);
  } else {
    error = toApiError(cause);
  }
  const extensions: Record<string, unknown> = { code: error.code };
  if (error.retryAfterSeconds !== undefined) extensions.retryAfterSeconds = error.retryAfterSeconds;
  return { message: error.message, ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}), extensions };
}

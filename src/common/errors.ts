/**
 * The service's error model, shared by REST, GraphQL, the admission webhook and plugins.
 * Every failure that reaches a caller is an ApiError with a code from this list; the transports
 * map it with `httpStatusOf`, whose exhaustive switch makes a new code without a status fail to compile.
 */
export const ErrorCode = {
  InvalidReference: 'InvalidReference',
  InvalidRequest: 'InvalidRequest',
  InvalidPullPolicy: 'InvalidPullPolicy',
  InvalidManifest: 'InvalidManifest',
  PayloadTooLarge: 'PayloadTooLarge',
  RequestHeadersTooLarge: 'RequestHeadersTooLarge',
  RequestTimeout: 'RequestTimeout',
  UnsupportedMediaType: 'UnsupportedMediaType',
  NotFound: 'NotFound',
  MethodNotAllowed: 'MethodNotAllowed',
  Unauthorized: 'Unauthorized',
  Forbidden: 'Forbidden',
  RateLimited: 'RateLimited',
  RegistryNotAllowed: 'RegistryNotAllowed',
  ManifestUnknown: 'ManifestUnknown',
  RegistryUnauthorized: 'RegistryUnauthorized',
  RegistryUnavailable: 'RegistryUnavailable',
  RegistryRateLimited: 'RegistryRateLimited',
  RegistryTimeout: 'RegistryTimeout',
  InternalError: 'InternalError',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.InvalidReference:
    case ErrorCode.InvalidRequest:
    case ErrorCode.InvalidPullPolicy:
    case ErrorCode.InvalidManifest:
      return 400;
    case ErrorCode.Unauthorized:
      return 401;
    case ErrorCode.RegistryNotAllowed:
    case ErrorCode.Forbidden:
      return 403;
    case ErrorCode.NotFound:
    case ErrorCode.ManifestUnknown:
      return 404;
    case ErrorCode.MethodNotAllowed:
      return 405;
    case ErrorCode.PayloadTooLarge:
      return 413;
    case ErrorCode.RequestHeadersTooLarge:
      return 431;
    case ErrorCode.RequestTimeout:
      return 408;
    case ErrorCode.UnsupportedMediaType:
      return 415;
    case ErrorCode.RateLimited:
      return 429;
    case ErrorCode.InternalError:
      return 500;
    case ErrorCode.RegistryUnauthorized:
      return 502;
    case ErrorCode.RegistryUnavailable:
    case ErrorCode.RegistryRateLimited:
      return 503;
    case ErrorCode.RegistryTimeout:
      return 504;
  }
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
}

/**
 * Why an error happened, where one code covers several causes that callers treat differently. Code that
 * branches on an error reads `reason`, never the message: messages carry user input (an image named
 * `acme/platform-api` must not read as a missing platform) and are free to change.
 * - `ManifestUnknown`: the registry answered 404 for the manifest (registry-errors.ts statusError);
 * - `PlatformMissing`: the manifest exists, but offers no image for the node's platform (platform-digests.ts),
 *   which containerd reports as "no match for platform in manifest".
 */
export const ErrorReason = {
  ManifestUnknown: 'ManifestUnknown',
  PlatformMissing: 'PlatformMissing',
} as const;
export type ErrorReason = (typeof ErrorReason)[keyof typeof ErrorReason];

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** Seconds a client should wait before retrying (sent as `Retry-After`). */
    readonly retryAfterSeconds?: number,
    /** The typed cause within the code (see ErrorReason); not part of the answer body. */
    readonly reason?: ErrorReason,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return httpStatusOf(this.code);
  }

  toBody(): ErrorBody {
    return { code: this.code, message: this.message };
  }
}

export const invalidRequest = (message: string): ApiError => new ApiError(ErrorCode.InvalidRequest, message);

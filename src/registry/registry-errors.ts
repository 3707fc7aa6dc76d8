/**
 * Maps what can go wrong talking to a registry onto the service's error codes. Messages name the
 * registry and the image (user input the caller sent) but never credentials, tokens or response bodies.
 */
import { ApiError, ErrorCode, ErrorReason } from '../common/errors.js';
import { EgressDeniedError } from './egress-connector.js';

/** Errors that may be answered from a stale cache entry (the registry is failing, not saying no). */
export function isTransient(error: ApiError): boolean {
  return (
    error.code === ErrorCode.RegistryUnavailable ||
    error.code === ErrorCode.RegistryRateLimited ||
    error.code === ErrorCode.RegistryTimeout
  );
}

/** Definite answers about this image for these credentials: safe to cache briefly. */
export function isDefinite(error: ApiError): boolean {
  return error.code === ErrorCode.ManifestUnknown || error.code === ErrorCode.RegistryUnauthorized;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ABORT_ERR',
  '23', // DOMException TIMEOUT_ERR
]);

function causes(err: unknown): unknown[] {
  const out: unknown[] = [];
  let current: unknown = err;
  for (let i = 0; i < 5 && current; i++) {
    out.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return out;
}

/** A thrown network-level error (no HTTP answer) as an ApiError. */
export function networkError(err: unknown, registry: string): ApiError {
  if (err instanceof ApiError) return err;
  for (const e of causes(err)) {
    if (e instanceof EgressDeniedError) return new ApiError(ErrorCode.RegistryNotAllowed, e.message);
  }
  for (const e of causes(err)) {
    const code = String((e as { code?: unknown }).code ?? '');
    const name = (e as { name?: unknown }).name;
    if (TIMEOUT_CODES.has(code) || name === 'TimeoutError' || name === 'AbortError') {
      return new ApiError(ErrorCode.RegistryTimeout, `registry ${registry} did not answer in time`);
    }
  }
  const code = causes(err)
    .map((e) => (e as { code?: unknown }).code)
    .find((c): c is string => typeof c === 'string' && /^[A-Z][A-Z0-9_]+$/.test(c));
  return new ApiError(ErrorCode.RegistryUnavailable, `registry ${registry} is unreachable${code ? ` (${code})` : ''}`);
}

/** An HTTP answer that is not a success, as an ApiError. */
export function statusError(status: number, registry: string, what: string, retryAfterMs?: number): ApiError {
  if (status === 404) return new ApiError(ErrorCode.ManifestUnknown, `${what} not found at registry ${registry}`, undefined, ErrorReason.ManifestUnknown);
  if (status === 401 || status === 403) {
    return new ApiError(ErrorCode.RegistryUnauthorized, `registry ${registry} refused access to ${what} (${status})`);
  }
  if (status === 429) {
    const seconds = retryAfterMs === undefined ? undefined : Math.max(1, Math.ceil(retryAfterMs / 1_000));
    return new ApiError(ErrorCode.RegistryRateLimited, `registry ${registry} is rate-limiting requests`, seconds);
  }
  return new ApiError(ErrorCode.RegistryUnavailable, `registry ${registry} answered ${status} for ${what}`);
}

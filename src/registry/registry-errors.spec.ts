import { describe, expect, it } from 'vitest';
import { ErrorCode, ErrorReason } from '../common/errors.js';
import { statusError } from './registry-errors.js';

describe('statusError: codes and typed reasons (issue 12, item 6)', () => {
  it.each([
    // [HTTP status, code, reason] — the reason is what decisions branch on (decision.service.ts answerFromError)
    [404, ErrorCode.ManifestUnknown, ErrorReason.ManifestUnknown],
    [401, ErrorCode.RegistryUnauthorized, undefined],
    [403, ErrorCode.RegistryUnauthorized, undefined],
    [429, ErrorCode.RegistryRateLimited, undefined],
    [500, ErrorCode.RegistryUnavailable, undefined],
  ])('%i → %s (%s)', (status, code, reason) => {
    // The image name may contain any word ("platform"); only the typed reason tells a 404 from a missing platform.
    const error = statusError(status, 'reg.example', 'manifest reg.example/acme/platform-api:1');
    expect(error.code).toBe(code);
    expect(error.reason).toBe(reason);
    expect(error.toBody()).toEqual({ code, message: error.message });
  });
});

/** Builds DigestService instances for tests from environment-style settings, as the service does at start. */
import { loadConfig } from '../../src/config/config.js';
import type { DigestService } from '../../src/registry/digest.service.js';
import { createDigestService, type DigestServiceDeps } from '../../src/registry/digest-service.factory.js';

export function digestService(env: Record<string, string>, deps: DigestServiceDeps = {}): DigestService {
  return createDigestService(loadConfig({ LOG_LEVEL: 'silent', ...env }), deps);
}

import fastJson from 'fast-json-stringify';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decidePull } from './decide.js';
import type { RegistryAnswer } from './decision.types.js';
import { pullDecisionSchema } from './decision.schemas.js';

const D1 = `sha256:${'1'.repeat(64)}`;

describe('the response schema', () => {
  const stringify = fastJson(pullDecisionSchema as never);

  it('writes every field of every kind of decision (nothing is dropped by fast-json-stringify)', () => {
    const answers: Array<RegistryAnswer | null> = [
      null,
      { source: 'lookup', status: 'ok', digest: D1, error: null },
      { source: 'lookup', status: 'unavailable', digest: D1, stale: true, error: { code: 'RegistryUnavailable', message: 'down' } },
      { source: 'simulated', status: 'notFound', digest: null, error: null },
    ];
    fc.assert(
      fc.property(
        fc.constantFrom('nginx', 'nginx:1.25', 'Nginx', `nginx@${D1}`),
        fc.constantFrom(undefined, 'Always', 'IfNotPresent', 'Never'),
        fc.constantFrom(...answers),
        fc.boolean(),
        (image, imagePullPolicy, answer, onNode) => {
          const decision = decidePull(
            { image, imagePullPolicy, node: { images: onNode ? [{ references: [image], digest: D1, pulledWith: [{ anonymous: true }] }] : [], credentialVerification: { policy: 'AlwaysVerify' } } },
            answer,
          );
          expect(JSON.parse(stringify(decision))).toEqual(JSON.parse(JSON.stringify(decision)));
        },
      ),
      { numRuns: 100 },
    );
  });
});

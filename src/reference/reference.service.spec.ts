import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError } from '../common/errors.js';
import { ReferenceService } from './reference.service.js';

const vectors: string[] = readFileSync(new URL('../../test/fixtures/reference-examples.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => (JSON.parse(line) as { input: string }).input);

/** What `parse` does with the input: its answer, or the error it throws. */
function outcomeOf(run: () => unknown): unknown {
  try {
    return { answer: run() };
  } catch (err) {
    return { error: err instanceof ApiError ? err.toBody() : String(err) };
  }
}

describe('ReferenceService: kept answers', () => {
  it("answers exactly what parse answers, Kubernetes' vectors and arbitrary text alike, asked once or again", () => {
    const service = new ReferenceService();
    const inputs = fc.oneof(fc.constantFrom(...vectors), fc.string(), fc.string({ unit: fc.constantFrom(...'aA0-._/:@'.split('')) }));
    fc.assert(
      fc.property(inputs, (input) => {
        const expected = outcomeOf(() => service.parse(input));
        expect(outcomeOf(() => service.parseShared(input))).toEqual(expected);
        expect(outcomeOf(() => service.parseShared(input))).toEqual(expected); // the kept answer
      }),
      { numRuns: 2_000 },
    );
  });

  it('gives the same frozen object for a repeated input, and keeps no error', () => {
    const service = new ReferenceService();
    const first = service.parseShared('nginx:1.25');
    expect(service.parseShared('nginx:1.25')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { tag: string | null }).tag = 'latest';
    }).toThrow(TypeError);
    expect(service.parseShared('nginx:1.26')).not.toBe(first);
    for (let i = 0; i < 2; i++) expect(() => service.parseShared('Upper/Case')).toThrow(ApiError);
  });

  it('is bounded: long inputs are not kept, and old answers make room for new ones', () => {
    const service = new ReferenceService();
    const longValid = `${'d'.repeat(120)}.example.com/${'p'.repeat(250)}:${'t'.repeat(128)}@sha256:${'0'.repeat(64)}`;
    expect(longValid.length).toBeGreaterThan(512);
    expect(service.parseShared(longValid)).toEqual(service.parse(longValid)); // valid, answered, not kept
    expect(service.parseShared(longValid)).not.toBe(service.parseShared(longValid));

    const first = service.parseShared('app-0:v1');
    for (let i = 1; i <= 12_000; i++) service.parseShared(`app-${i}:v1`);
    expect(service.parseShared('app-0:v1')).not.toBe(first); // evicted: more inputs than it keeps
    expect(service.parseShared('app-0:v1')).toEqual(first);
  });

  it('parseMany answers in input order with the same frozen outcomes parseShared keeps', () => {
    const service = new ReferenceService();
    const inputs = ['nginx', 'Upper/Case', 'nginx', 'ghcr.io/org/app:v1'];
    const outcomes = service.parseMany(inputs);
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([true, false, true, true]);
    expect(outcomes[2]).toBe(outcomes[0]);
    expect(outcomes[1]).toEqual({ ok: false, input: 'Upper/Case', error: { code: 'InvalidReference', message: 'invalid reference format: repository name (Case) must be lowercase' } });
    for (const outcome of outcomes) expect(Object.isFrozen(outcome) && Object.isFrozen(outcome.ok ? outcome.reference : outcome.error)).toBe(true);
    expect(service.parseMany(inputs)).toEqual(outcomes);
    expect(service.parseMany(inputs)[3]).toBe(outcomes[3]);
    expect(outcomes[3].ok && outcomes[3].reference).toBe(service.parseShared('ghcr.io/org/app:v1'));
  });
});

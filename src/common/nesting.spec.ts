import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING, nestsDeeperThan } from './nesting.js';

/** The obvious recursive definition, for values small enough to recurse over. */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + children.reduce<number>((deepest, child) => Math.max(deepest, depthOf(child)), 0);
}

function nestedArrays(levels: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function nestedObjects(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { a: value, b: 'x' };
  return value;
}

describe('nestsDeeperThan', () => {
  it('agrees with the recursive depth on any JSON value, at every limit', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.integer({ min: 0, max: 14 }), (value, limit) => {
        expect(nestsDeeperThan(value, limit)).toBe(depthOf(value) > limit);
      }),
      { numRuns: 500 },
    );
  });

  it('takes exactly MAX_NESTING levels and refuses one more, for arrays and objects', () => {
    expect(nestsDeeperThan(nestedArrays(MAX_NESTING))).toBe(false);
    expect(nestsDeeperThan(nestedArrays(MAX_NESTING + 1))).toBe(true);
    expect(nestsDeeperThan(nestedObjects(MAX_NESTING))).toBe(false);
    expect(nestsDeeperThan(nestedObjects(MAX_NESTING + 1))).toBe(true);
  });

  it('measures values far deeper than the call stack without recursing', () => {
    // JSON.parse is iterative in V8, so a 5 MB body can hold a million levels.
    const deep = JSON.parse(`${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`) as unknown;
    expect(nestsDeeperThan(deep)).toBe(true);
    expect(nestsDeeperThan(deep, 2_000_000)).toBe(false);
  });

  it('is false for scalars and wide but shallow values', () => {
    expect(nestsDeeperThan('x')).toBe(false);
    expect(nestsDeeperThan(null)).toBe(false);
    expect(nestsDeeperThan({ references: Array.from({ length: 10_000 }, (_, i) => `r${i}`) })).toBe(false);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toJsonBuffer } from './json-buffer.js';

const same = (value: object): void => {
  expect(toJsonBuffer(value).toString('utf8')).toBe(JSON.stringify(value));
};

describe('toJsonBuffer', () => {
  it('writes exactly what JSON.stringify writes, for any JSON data', () => {
    fc.assert(fc.property(fc.oneof(fc.object(), fc.array(fc.jsonValue())), same), { numRuns: 500 });
  });

  it('writes long arrays (sliced) exactly, including items JSON.stringify turns into null', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.constant(() => 1)), { minLength: 60, maxLength: 400 }), (items) =>
        same({ results: items, count: items.length }),
      ),
      { numRuns: 100 },
    );
  });

  it('writes long arrays mixing frozen (shared) and ordinary items exactly, in any order', () => {
    const deepFreeze = <T>(value: T): T => {
      if (value !== null && typeof value === 'object') {
        for (const inner of Object.values(value)) deepFreeze(inner);
        Object.freeze(value);
      }
      return value;
    };
    const item = fc.oneof(fc.jsonValue(), fc.object().map(deepFreeze), fc.array(fc.jsonValue()).map(deepFreeze), fc.constant(undefined));
    fc.assert(
      fc.property(fc.array(item, { minLength: 65, maxLength: 300 }), (items) => {
        same({ results: items });
        same({ results: items }); // now from the kept texts
      }),
      { numRuns: 100 },
    );
  });

  it('stringifies a frozen item once, however many answers carry it', () => {
    let calls = 0;
    const shared = Object.freeze({ toJSON: () => ({ ok: true, n: ++calls }) });
    const batch = (): object => ({ results: Array.from({ length: 100 }, (_, i) => (i % 10 === 0 ? shared : { i })) });
    const first = toJsonBuffer(batch()).toString('utf8');
    expect(toJsonBuffer(batch()).toString('utf8')).toBe(first);
    expect(calls).toBe(1);
    expect(JSON.parse(first).results[10]).toEqual({ ok: true, n: 1 });
  });

  it('encodes every Unicode string as UTF-8, lone surrogates escaped as JSON.stringify does', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 200 }), (strings) => same({ strings })), { numRuns: 200 });
    same({ s: ['\ud800', 'K\u212a', 'é'.repeat(70_000)] });
  });

  it('honours toJSON and leaves out what JSON.stringify leaves out', () => {
    const when = new Date(Date.UTC(2026, 10, 29));
    same({ when, nested: { toJSON: () => undefined }, gone: undefined, fn: () => 1, sym: Symbol('x'), list: [undefined, () => 1, when], [Symbol('k')]: 1 });
    same({ custom: { toJSON: (key: string) => `key=${key}` } });
    same(Object.assign(Object.create(null) as object, { a: 1 }));
  });

  it('answers a batch of 1 000 parse results as one buffer, growing past its first 64 KB', () => {
    const results = Array.from({ length: 1000 }, (_, i) => ({ ok: true, reference: { input: `registry.example.com/team/app-${i}:v${i}`, tag: `v${i}`, digest: null } }));
    const buffer = toJsonBuffer({ results });
    expect(buffer.length).toBeGreaterThan(64 * 1024);
    expect(JSON.parse(buffer.toString('utf8'))).toEqual({ results });
  });

  it('refuses a value with no JSON form rather than answering an empty body', () => {
    expect(() => toJsonBuffer({ toJSON: () => undefined })).toThrow(TypeError);
  });
});

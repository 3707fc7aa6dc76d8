import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LruMap } from './lru.js';

describe('LruMap (second chance)', () => {
  it('never holds more than its limit and always answers the last value set for a key it holds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 20 }), fc.integer())), (limit, operations) => {
        const lru = new LruMap<number, number>(limit);
        const last = new Map<number, number>();
        for (const [isSet, key, value] of operations) {
          if (isSet) {
            lru.set(key, value);
            last.set(key, value);
          } else {
            const got = lru.get(key);
            if (got !== undefined) expect(got).toBe(last.get(key));
          }
          expect(lru.size).toBeLessThanOrEqual(limit);
        }
      }),
    );
  });

  it('keeps an entry read since it was stored and evicts the oldest unread one', () => {
    const lru = new LruMap<string, number>(3);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.set('c', 3);
    expect(lru.get('a')).toBe(1);
    lru.set('d', 4); // full: 'a' was read, so 'b' goes
    expect(lru.get('b')).toBeUndefined();
    expect([lru.get('a'), lru.get('c'), lru.get('d')]).toEqual([1, 3, 4]);
  });

  it('keeps the newest entry even when every older one was read', () => {
    const lru = new LruMap<string, number>(2);
    lru.set('a', 1);
    lru.set('b', 2);
    lru.get('a');
    lru.get('b');
    lru.set('c', 3);
    expect(lru.size).toBe(2);
    expect(lru.get('c')).toBe(3);
  });

  it('sweep walks the whole map a few entries a call, resuming where it stopped, and deletes only what is expired', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(1_000), fc.boolean()), { minLength: 1, maxLength: 200 }), fc.integer({ min: 1, max: 7 }), (entries, steps) => {
        const lru = new LruMap<number, boolean>(1_000);
        for (const [key, expired] of entries) lru.set(key, expired);
        const live = new Map(entries); // the last value set per key
        // Enough calls to walk the map once, whatever the step: every expired entry is gone, every live one kept.
        for (let i = 0; i <= Math.ceil(live.size / steps); i++) lru.sweep((expired) => expired, steps);
        for (const [key, expired] of live) expect(lru.get(key)).toBe(expired ? undefined : false);
        expect(lru.size).toBe([...live.values()].filter((expired) => !expired).length);
      }),
    );
  });
});

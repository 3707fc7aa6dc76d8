import { describe, expect, it } from 'vitest';
import { TwoKeyMap } from './two-key-map.js';

describe('TwoKeyMap', () => {
  it('makes a value once per pair of keys and hands the same one back', () => {
    const made: string[] = [];
    const map = new TwoKeyMap((first, second) => {
      made.push(`${first} ${second}`);
      return { first, second, count: 0 };
    });
    map.get('/a', 'GET').count++;
    map.get('/a', 'GET').count++;
    map.get('/a', 'POST').count++;
    map.get('/b', 'GET').count++;
    expect(made).toEqual(['/a GET', '/a POST', '/b GET']);
    expect(map.values()).toEqual([
      { first: '/a', second: 'GET', count: 2 },
      { first: '/a', second: 'POST', count: 1 },
      { first: '/b', second: 'GET', count: 1 },
    ]);
  });

  it('keeps pairs apart that a joined key string would confuse', () => {
    const map = new TwoKeyMap((first, second) => [first, second]);
    expect(map.get('a|b', 'c')).not.toBe(map.get('a', 'b|c'));
    expect(map.values()).toHaveLength(2);
  });
});

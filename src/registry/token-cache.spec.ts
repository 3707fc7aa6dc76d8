import { describe, expect, it } from 'vitest';
import { TokenCache, tokenKey, tokenUsableUntil } from './token-cache.js';

describe('tokenUsableUntil', () => {
  it('stops using a token shortly before it expires; 60 s when the answer says nothing', () => {
    expect(tokenUsableUntil(0, 300)).toBe(270_000);
    expect(tokenUsableUntil(0, undefined)).toBe(54_000);
    expect(tokenUsableUntil(0, 3_600)).toBe(3_570_000);
  });
});

describe('TokenCache', () => {
  it('fetches once for concurrent callers and reuses the token until it is no longer usable', async () => {
    let now = 0;
    const cache = new TokenCache(() => now);
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      return { token: `t${fetches}`, usableUntil: now + 1_000 };
    };
    const key = tokenKey('https://auth/token', 'svc', 'repository:a:pull', 'anonymous');
    const tokens = await Promise.all([cache.getOrFetch(key, fetch), cache.getOrFetch(key, fetch), cache.getOrFetch(key, fetch)]);
    expect(tokens).toEqual(['t1', 't1', 't1']);
    expect(await cache.getOrFetch(key, fetch)).toBe('t1');
    now = 1_000;
    expect(await cache.getOrFetch(key, fetch)).toBe('t2');
    cache.invalidate(key);
    expect(await cache.getOrFetch(key, fetch)).toBe('t3');
  });

  it('keys by credential identity', () => {
    expect(tokenKey('r', 's', 'scope', 'a')).not.toBe(tokenKey('r', 's', 'scope', 'b'));
  });

  it('does not cache a failed fetch', async () => {
    const cache = new TokenCache();
    await expect(cache.getOrFetch('k', async () => Promise.reject(new Error('no')))).rejects.toThrow('no');
    expect(await cache.getOrFetch('k', async () => ({ token: 'ok', usableUntil: Date.now() + 10_000 }))).toBe('ok');
  });
});

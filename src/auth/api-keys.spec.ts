import { describe, expect, it } from 'vitest';
import { ApiKeyStore, parseApiKeys, sha256Hex } from './api-keys.js';
import { openPathMatcher } from './auth-state.js';

const entry = (name: string, key: string, scopes: unknown = ['read']) => ({ name, sha256: sha256Hex(key), scopes });

describe('parseApiKeys', () => {
  it('accepts the documented shape', () => {
    const keys = parseApiKeys({ keys: [entry('portal', 'k1', ['read', 'resolve'])] });
    expect(keys[0].name).toBe('portal');
    expect([...keys[0].scopes]).toEqual(['read', 'resolve']);
  });

  it.each([
    [null, 'must be an object with a "keys" list'],
    [{ keys: [] }, '"keys" must be a non-empty list'],
    [{ keys: [{ name: 'a', sha256: 'abc', scopes: ['read'] }] }, 'keys[0].sha256 (key "a") must be 64 hex digits: the sha256 of the key, not the key'],
    [{ keys: [entry('a', 'x', ['write'])] }, 'keys[0].scopes (key "a") has "write"; scopes are read, resolve, admission'],
    [{ keys: [entry('a', 'x', [])] }, 'keys[0].scopes (key "a") must be a non-empty list'],
    [{ keys: [entry('a', 'x'), entry('a', 'y')] }, 'keys[1].name "a" is used twice'],
    [{ keys: [entry('a', 'x'), entry('b', 'x')] }, 'keys[1].sha256 (key "b") is the same key as another entry'],
    [{ keys: [{ ...entry('a', 'x'), key: 'x' }] }, 'keys[0] has unknown field key'],
    [{ keys: [entry('has space', 'x')] }, 'keys[0].name must be'],
  ])('rejects %j', (document, message) => {
    expect(() => parseApiKeys(document)).toThrow(message);
  });
});

describe('ApiKeyStore.identify', () => {
  const store = new ApiKeyStore(parseApiKeys({ keys: [entry('a', 'first-key'), entry('b', 'second-key', ['admission'])] }));

  it('finds the key by its sha256, with any case of the scheme', () => {
    expect(store.identify('Bearer second-key')).toMatchObject({ ok: true, key: { name: 'b' } });
    expect(store.identify('bearer first-key')).toMatchObject({ ok: true, key: { name: 'a' } });
  });

  it('explains what is wrong, never echoing the key', () => {
    expect(store.identify(undefined)).toEqual({ ok: false, problem: 'API key required: send Authorization: Bearer <key>' });
    expect(store.identify('Bearer wrong')).toEqual({ ok: false, problem: 'API key not recognised' });
    expect(store.identify('Token first-key')).toEqual({ ok: false, problem: 'Authorization header must be "Bearer <key>"' });
  });
});

describe('openPathMatcher', () => {
  it('matches exact paths (with a query) and * prefixes', () => {
    const open = openPathMatcher(['/healthz', '/docs*']);
    expect(['/healthz', '/healthz?x=1', '/docs', '/docs/init.js'].map(open)).toEqual([true, true, true, true]);
    expect(['/healthzz', '/v1/healthz', '/'].map(open)).toEqual([false, false, false]);
  });
});

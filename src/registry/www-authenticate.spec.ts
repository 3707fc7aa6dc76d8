import { describe, expect, it } from 'vitest';
import { parseWwwAuthenticate } from './www-authenticate.js';

describe('parseWwwAuthenticate', () => {
  it('reads a Bearer challenge', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/nginx:pull' } },
    ]);
  });

  it('reads Basic, unquoted values, escapes and several challenges', () => {
    expect(parseWwwAuthenticate('Basic realm="Registry \\"x\\""')).toEqual([{ scheme: 'basic', params: { realm: 'Registry "x"' } }]);
    expect(parseWwwAuthenticate('Bearer realm=https://a/token, service=reg')).toEqual([{ scheme: 'bearer', params: { realm: 'https://a/token', service: 'reg' } }]);
    expect(parseWwwAuthenticate(['Basic realm="a"', 'Bearer realm="b",service="s"'])).toEqual([
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'b', service: 's' } },
    ]);
    expect(parseWwwAuthenticate('Basic realm="a", Bearer realm="b"').map((c) => c.scheme)).toEqual(['basic', 'bearer']);
  });

  it('survives garbage', () => {
    expect(parseWwwAuthenticate(undefined)).toEqual([]);
    expect(parseWwwAuthenticate('')).toEqual([]);
    expect(() => parseWwwAuthenticate('"=,;;"=realm="')).not.toThrow();
  });
});

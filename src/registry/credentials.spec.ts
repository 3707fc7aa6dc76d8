import { createHash, createHmac, createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  credentialIdentity,
  credentialSetIdentity,
  CredentialsError,
  globMatch,
  isDockerHubImage,
  Keyring,
  keyMatches,
  keyringKey,
  lookupCredentials,
  parseDockerConfig,
  pullSecretsIdentity,
  randomIdentityKey,
} from './credentials.js';

const auth = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');
const KEY = createSecretKey(Buffer.from('test-cache-key-secret-of-32-chars!'));
const OTHER_KEY = createSecretKey(Buffer.from('another-cache-key-secret-32-chars!'));

describe('parseDockerConfig', () => {
  it('reads auth, username/password and identitytoken entries', () => {
    const config = parseDockerConfig(
      JSON.stringify({
        auths: {
          'a.io': { auth: auth('alice', 'pw:with:colons') },
          'b.io': { username: 'bob', password: 'pw-b' },
          'c.io': { identitytoken: 'refresh' },
          'd.io': { email: 'only@example.com' },
          'e.io': { auth: auth('eve', 'pw-e'), username: 'ignored', password: 'ignored' },
        },
      }),
      'test',
      KEY,
    );
    expect(config['a.io']).toMatchObject({ username: 'alice', password: 'pw:with:colons' });
    expect(config['b.io']).toMatchObject({ username: 'bob', password: 'pw-b' });
    expect(config['c.io']).toMatchObject({ identityToken: 'refresh' });
    expect(config['d.io']).toBeUndefined();
    expect(config['e.io']).toMatchObject({ username: 'eve', password: 'pw-e' });
  });

  it('reads the legacy .dockercfg shape (entries at top level)', () => {
    expect(parseDockerConfig({ 'a.io': { auth: auth('u', 'p') } }, 'test', KEY)['a.io']).toMatchObject({ username: 'u', password: 'p' });
  });

  it.each([
    ['not json secret-value', 'is not valid JSON'],
    ['[]', 'must be a JSON object'],
    ['{"auths": "secret-value"}', '"auths" must be an object'],
    ['{"auths": {"a.io": "secret-value"}}', 'is not an object'],
    [`{"auths": {"a.io": {"auth": "${Buffer.from('secret-value').toString('base64')}"}}}`, 'base64(username:password)'],
  ])('refuses %s without quoting it', (text, message) => {
    let error: unknown;
    try {
      parseDockerConfig(text, 'pullSecrets[0].dockerconfigjson', KEY);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('secret-value');
  });
});

describe('credential identity (HMAC-SHA256 under CACHE_KEY_SECRET: issue 11, item 5)', () => {
  it('is a stable keyed hash that never contains the secret', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 4 }), fc.string({ minLength: 4 }), (username, password) => {
        const id = credentialIdentity({ username, password }, KEY);
        expect(id).toMatch(/^[0-9a-f]{32}$/);
        expect(id).toBe(credentialIdentity({ username, password }, KEY));
        expect(id).not.toContain(password);
        expect(id).not.toBe(credentialIdentity({ username, password: `${password}x` }, KEY));
      }),
    );
    expect(credentialSetIdentity([], KEY)).toBe('anonymous');
  });

  it('differs under two different keys for the same credential (and agrees under the same key, as replicas must)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.option(fc.string(), { nil: undefined }), (username, password, identityToken) => {
        const credential = { username, password, identityToken };
        expect(credentialIdentity(credential, KEY)).not.toBe(credentialIdentity(credential, OTHER_KEY));
        expect(credentialIdentity(credential, createSecretKey(Buffer.from('test-cache-key-secret-of-32-chars!')))).toBe(credentialIdentity(credential, KEY));
      }),
    );
    expect(credentialIdentity({ username: 'u', password: 'p' }, randomIdentityKey())).not.toBe(credentialIdentity({ username: 'u', password: 'p' }, randomIdentityKey()));
    const set = (key: typeof KEY) => credentialSetIdentity(Object.values(parseDockerConfig({ 'a.io': { auth: auth('u', 'p') }, 'b.io': { auth: auth('v', 'q') } }, 't', key)), key);
    expect(set(KEY)).toMatch(/^[0-9a-f]{32}$/);
    expect(set(KEY)).not.toBe(set(OTHER_KEY));
    expect(pullSecretsIdentity(['{"auths":{}}'], KEY)).not.toBe(pullSecretsIdentity(['{"auths":{}}'], OTHER_KEY));
  });

  it('is not the old unkeyed sha256 of the identity string, nor any plain hash of it, and holds no form of the password', () => {
    const username = 'alice';
    const password = 'correct horse battery staple';
    const id = credentialIdentity({ username, password }, KEY);
    const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
    const oldString = `image-policy-service/credential/v1\0${username}\0${password}\0`;
    for (const unkeyed of [sha256(oldString), sha256(JSON.stringify(['image-policy-service/credential/v2', username, password, '']))]) {
      expect(unkeyed).not.toContain(id);
      expect(id).not.toBe(unkeyed.slice(0, 32));
    }
    for (const form of [password, auth(username, password), `${username}:${password}`]) expect(id).not.toContain(form);
    // What it is: HMAC-SHA256 under the key, truncated to 128 bits.
    const hmac = createHmac('sha256', KEY).update(JSON.stringify(['image-policy-service/credential/v2', username, password, ''])).digest('hex');
    expect(id).toBe(hmac.slice(0, 32));
  });
});

describe('keyringKey (the kubelet drops the scheme; /v1/ and /v2/ mean the bare host)', () => {
  it.each([
    ['https://index.docker.io/v1/', 'index.docker.io'],
    ['index.docker.io', 'index.docker.io'],
    ['http://quay.io/v2/', 'quay.io'],
    ['quay.io/v1/foo', 'quay.io/foo'],
    ['reg.io:5000', 'reg.io:5000'],
    ['https://reg.io:5000/team/', 'reg.io:5000/team/'],
    ['*.gcr.io', '*.gcr.io'],
  ])('%s → %s', (location, key) => {
    expect(keyringKey(location)).toBe(key);
  });
});

describe('keyMatches (URLsMatch)', () => {
  it.each([
    ['*.kubernetes.io', 'prefix.kubernetes.io', true],
    ['prefix.*.io', 'prefix.kubernetes.io', true],
    ['prefix.kubernetes.*', 'prefix.kubernetes.io', true],
    ['*-good.kubernetes.io', 'prefix-good.kubernetes.io', true],
    ['kubernetes.io/blah', 'kubernetes.io/blah/another', true],
    ['reg.io/images', 'reg.io/images-private/x', true], // a plain string prefix
    ['*.kubernetes.io', 'prefix.kubernetes.io/blah', true],
    ['*.kubernetes.io', 'kubernetes.io', false],
    ['*.kubernetes.io', 'a.b.kubernetes.io', false],
    ['*.*.kubernetes.io', 'prefix.kubernetes.io', false],
    ['prefix.kubernetes.io:443', 'prefix.kubernetes.io', false],
    ['prefix.kubernetes.io', 'prefix.kubernetes.io:443', false],
    ['reg.io:5000', 'reg.io:5000/team/app', true],
    ['reg.io:5000', 'reg.io:5001/team/app', false],
    ['kubernetes.io/blah', 'kubernetes.io/notblah', false],
    ['Reg.io', 'reg.io/app', false], // case-sensitive, as the kubelet
    ['r?g.io', 'reg.io/app', false], // as in Go's url.Parse, `?` starts a query, so no host glob
    ['r[a-f]g.io', 'reg.io/app', true],
    ['r[^e]g.io', 'reg.io/app', false],
    ['r[g.io', 'reg.io/app', false], // malformed glob matches nothing
  ])('%s vs %s → %s', (key, image, expected) => {
    expect(keyMatches(key, image)).toBe(expected);
  });

  it('globMatch keeps `*` inside one label', () => {
    expect(globMatch('*', 'anything-here')).toBe(true);
    expect(globMatch('a*', 'a/b')).toBe(false);
    expect(globMatch('\\*', '*')).toBe(true);
    expect(globMatch('\\*', 'x')).toBe(false);
  });

  it('a host key matches every repository of that host and no other port (property)', () => {
    const label = fc.stringMatching(/^[a-z0-9]{1,10}$/);
    const host = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
    const path = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => l.join('/'));
    const port = fc.integer({ min: 1, max: 65535 });
    fc.assert(
      fc.property(host, path, port, port, (h, p, a, b) => {
        expect(keyMatches(`${h}:${a}`, `${h}:${a}/${p}`)).toBe(true);
        expect(keyMatches(h, `${h}/${p}`)).toBe(true);
        expect(keyMatches(`${h}:${a}`, `${h}:${b}/${p}`)).toBe(a === b);
        expect(keyMatches(h, `${h}:${a}/${p}`)).toBe(false);
        expect(keyMatches(`*.${h}`, `${h}/${p}`)).toBe(false);
        expect(keyMatches(`*.${h}`, `x.${h}/${p}`)).toBe(true);
      }),
    );
  });
});

describe('isDockerHubImage (isDefaultRegistryMatch)', () => {
  it.each([
    ['foo/bar', true],
    ['docker.io/foo/bar', true],
    ['index.docker.io/foo/bar', true],
    ['foo', true],
    ['', false],
    ['registry.tld/foo/bar', false],
    ['registry:5000/foo/bar', false],
    ['myhostdocker.io/foo/bar', false],
  ])('%s → %s', (image, expected) => {
    expect(isDockerHubImage(image)).toBe(expected);
  });
});

describe('Keyring', () => {
  const cred = (name: string) => parseDockerConfig({ auths: { x: { username: name, password: `${name}-pw` } } }, 't', KEY).x;

  it('tries more specific keys first (reverse-sorted) and collects every match', () => {
    const ring = new Keyring([{ 'quay.io': cred('host'), 'quay.io/coreos': cred('path'), 'quay.io/coreos/etcd': cred('deep'), 'gcr.io': cred('other') }]);
    expect(ring.lookup('quay.io/coreos/etcd').map((c) => c.username)).toEqual(['deep', 'path', 'host']);
    expect(ring.lookup('quay.io/other/app').map((c) => c.username)).toEqual(['host']);
    expect(ring.lookup('docker.io/library/nginx')).toEqual([]);
  });

  it('falls back to the index.docker.io key for Docker Hub images', () => {
    const ring = new Keyring([{ 'https://index.docker.io/v1/': cred('hub') }]);
    expect(ring.lookup('docker.io/library/nginx').map((c) => c.username)).toEqual(['hub']);
    expect(ring.lookup('index.docker.io/google/app').map((c) => c.username)).toEqual(['hub']);
    expect(ring.lookup('ghcr.io/org/app')).toEqual([]);
  });

  it('pull secrets come before node credentials, each credential once', () => {
    const secrets = new Keyring([{ 'reg.io': cred('secret-a') }, { 'reg.io': cred('secret-b') }]);
    const node = new Keyring([{ 'reg.io': cred('node') }, { 'reg.io/team': cred('secret-a') }]);
    expect(lookupCredentials('reg.io/team/app', [secrets, node]).map((c) => c.username)).toEqual(['secret-a', 'secret-b', 'node']);
  });
});

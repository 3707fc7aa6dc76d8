import { createHash, createHmac, createSecretKey } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  credentialIdentity,
  credentialSetIdentity,
  CredentialsError,
  decodeAuthField,
  globMatch,
  goJsonString,
  hashAuthConfig,
  isDockerHubImage,
  Keyring,
  keyMatches,
  keyringKey,
  lookupCredentials,
  parseDockerConfig,
  pullSecretsIdentity,
  randomIdentityKey,
  readDockerConfig,
} from './docker-credentials.js';

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
    // Issue 12 item 5: the kubelet keeps an entry without username or password (keyring.go BasicDockerKeyring.Add);
    // before, this service dropped it.
    expect(config['d.io']).toMatchObject({ identity: expect.any(String) });
    expect(config['d.io'].username).toBeUndefined();
    expect(config['d.io'].password).toBeUndefined();
    expect(config['e.io']).toMatchObject({ username: 'eve', password: 'pw-e' });
  });

  it('reads the legacy .dockercfg shape (entries at top level) from a file only: a dockerconfigjson Secret without "auths" has no entries', () => {
    // secrets.go secretsToTrackedDockerConfigs: a kubernetes.io/dockerconfigjson Secret is read as DockerConfigJSON{Auths}.
    expect(parseDockerConfig({ 'a.io': { auth: auth('u', 'p') } }, 'test', KEY, 'file')['a.io']).toMatchObject({ username: 'u', password: 'p' });
    expect(parseDockerConfig({ 'a.io': { auth: auth('u', 'p') } }, 'test', KEY)).toEqual({});
    expect(parseDockerConfig({ 'a.io': { auth: auth('u', 'p') } }, 'test', KEY, 'secret')).toEqual({});
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
    const set = (key: typeof KEY) => credentialSetIdentity(Object.values(parseDockerConfig({ auths: { 'a.io': { auth: auth('u', 'p') }, 'b.io': { auth: auth('v', 'q') } } }, 't', key)), key);
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

// ---------------------------------------------------------------------------------------------------
// Issue 12, item 5: the keyring's parsing edge cases, each row naming the Kubernetes function it follows
// ---------------------------------------------------------------------------------------------------

describe('decodeAuthField (pkg/credentialprovider/config.go decodeDockerConfigFieldAuth)', () => {
  const u = (text: string) => Buffer.from(text, 'latin1');
  it.each([
    // [auth field, username, password (null: refused), the rule]
    ['dXNlcjpwYXNz', 'user', 'pass', 'no trailing "=": base64.RawStdEncoding; 12 characters need no padding'],
    ['dXNlcjpwYQ==', 'user', 'pa', 'ends with "=": base64.StdEncoding, padded'],
    ['dXNlcjpwYQ', 'user', 'pa', 'no trailing "=": base64.RawStdEncoding accepts the unpadded form'],
    ['dXNlcjpwYXM=', 'user', 'pas', 'StdEncoding, one "="'],
    ['dXNlcjpwYQ=', null, null, 'StdEncoding: "=" where "==" is needed (CorruptInputError)'],
    ['dXNlcjpwYXNz=', null, null, 'StdEncoding: a lone "=" starting a quantum'],
    ['dXNlcjpwYXNzA', null, null, 'RawStdEncoding: a final quantum of one character'],
    ['dXNlcj=pwYQ==', null, null, 'StdEncoding: padding in the middle'],
    ['dXNlcjpwYQ==\n', 'user', 'pa', 'strings.TrimSpace decides the encoding; Go\'s decoders skip \\n'],
    ['dXNlcjpw\r\nYXNz', 'user', 'pass', 'Go\'s decoders skip \\r and \\n anywhere'],
    [' dXNlcjpwYXNz', null, null, 'a space is not skipped by Go\'s decoder (only \\r and \\n are)'],
    ['dXNlcjpwYXNz ', null, null, 'a trailing space: TrimSpace picks RawStdEncoding, which refuses the space'],
    ['dTr7_w==', null, null, 'StdEncoding, not the URL alphabet ("_")'],
    ['dTr7/w==', 'u', '\u00fb\u00ff', 'the bytes after the first ":" are the password, whatever they are'],
    ['dXNlcg==', null, null, 'no ":" in the decoded bytes: "unable to parse auth field"'],
    ['Og==', '', '', 'a lone ":" is an empty username and password (strings.SplitN gives 2 parts)'],
    ['YWxpY2U6cHc6d2l0aDpjb2xvbnM=', 'alice', 'pw:with:colons', 'strings.SplitN(…, ":", 2): the password keeps its colons'],
  ])('%j → %j / %j (%s)', (field, username, password, _rule) => {
    const decoded = decodeAuthField(field);
    if (username === null) {
      expect(decoded).toBeNull();
      return;
    }
    expect(decoded).not.toBeNull();
    expect(decoded?.username.equals(u(username))).toBe(true);
    expect(decoded?.password.equals(u(password as string))).toBe(true);
  });

  it('a secret whose auth the kubelet refuses is refused as a whole (secrets.MakeDockerKeyring fails), never quoted', () => {
    for (const field of ['dXNlcjpwYQ=', ' dXNlcjpwYXNz', 'dXNlcg==', 'c2VjcmV0LXZhbHVl']) {
      const text = JSON.stringify({ auths: { 'a.io': { auth: field }, 'b.io': { username: 'u', password: 'p' } } });
      expect(() => readDockerConfig(text, 'pullSecrets[0].dockerconfigjson')).toThrow(CredentialsError);
      expect(() => readDockerConfig(text, 'pullSecrets[0].dockerconfigjson')).toThrow(/^pullSecrets\[0\]\.dockerconfigjson: an "auth" field is not base64\(username:password\)/);
      try {
        readDockerConfig(text, 's');
      } catch (err) {
        expect((err as Error).message).not.toContain(field.trim());
      }
    }
  });
});

describe('readDockerConfig (config.go DockerConfigEntry.UnmarshalJSON, as Go\'s encoding/json reads it)', () => {
  it.each([
    ['an email-only entry is kept (BasicDockerKeyring.Add copies Username, Password, Email of every entry)', { 'docker.io': { email: 'me@example.com' } }, 'docker.io', { email: 'me@example.com' }],
    ['an entry with nothing is kept too', { 'reg.io': {} }, 'reg.io', {}],
    ['a null entry unmarshals to an empty one', { 'reg.io': null }, 'reg.io', {}],
    ['auth replaces username and password; email stays', { 'reg.io': { auth: auth('a', 'b'), username: 'x', password: 'y', email: 'e' } }, 'reg.io', { username: 'a', password: 'b', email: 'e' }],
    ['an empty auth is no auth (len(tmp.Auth) == 0)', { 'reg.io': { auth: '', username: 'x', password: 'y' } }, 'reg.io', { username: 'x', password: 'y' }],
    ['field names match case-insensitively, as encoding/json does', { 'reg.io': { Username: 'x', PASSWORD: 'y', Email: 'e' } }, 'reg.io', { username: 'x', password: 'y', email: 'e' }],
    ['null fields are empty', { 'reg.io': { username: null, password: 'p' } }, 'reg.io', { password: 'p' }],
  ])('%s', (_rule, auths, location, fields) => {
    const entry = readDockerConfig({ auths }, 't')[location];
    expect(entry).toBeDefined();
    expect({ username: entry.username, password: entry.password, email: entry.email }).toEqual({ username: undefined, password: undefined, email: undefined, ...fields });
  });

  it.each([
    ['{"auths": {"reg.io": {"username": 5}}}', 'is not a string'],
    ['{"auths": {"reg.io": {"auth": true}}}', 'is not a string'],
    ['{"auths": {"reg.io": ["secret-value"]}}', 'is not an object'],
  ])('refuses %s as json.Unmarshal does', (text, message) => {
    expect(() => readDockerConfig(text, 't')).toThrow(message);
  });

  it('"Auths" is the auths key too (encoding/json, case-insensitive)', () => {
    expect(Object.keys(readDockerConfig({ Auths: { 'reg.io': { auth: auth('u', 'p') } } }, 't'))).toEqual(['reg.io']);
  });
});

describe('keyringKey of schemes, userinfo and invalid URLs (keyring.go BasicDockerKeyring.Add: url.Parse, parsed.Host)', () => {
  it.each([
    ['https://user@reg.io', 'reg.io', 'url.Parse puts "user" in User; parsed.Host is the host'],
    ['user@reg.io', 'reg.io', 'https:// is added first, then the same'],
    ['https://user:pa%24s@reg.io:5000/team/', 'reg.io:5000/team/', 'userinfo with a password and an escape'],
    ['https://a@b@reg.io', 'reg.io', 'the last "@" ends the userinfo (parseAuthority: strings.LastIndex)'],
    ['https://us er@reg.io', null, 'a space is not valid userinfo (validUserinfo): url.Parse fails, the entry is skipped'],
    ['reg.io:50a0', null, 'invalid port after host (parseHost: validOptionalPort)'],
    ['reg io', null, 'a space in a host (InvalidHostError)'],
    ['reg.io/te%zzam', null, 'a bad escape in the path (url.unescape)'],
    ['reg.io/te%61m', 'reg.io/team', 'the path is unescaped (parsed.Path)'],
    ['reg.io:', 'reg.io:', 'an empty port is valid (validOptionalPort)'],
    ['[::1]:5000/x', '[::1]:5000/x', 'an IPv6 literal with a port'],
    ['reg.io?x=1#frag', 'reg.io', 'query and fragment are not part of the key'],
  ])('%j → %j (%s)', (location, key, _rule) => {
    expect(keyringKey(location)).toBe(key);
  });

  it('an entry whose key url.Parse refuses is skipped; the others stay', () => {
    const ring = new Keyring([parseDockerConfig({ auths: { 'https://us er@reg.io': { auth: auth('bad', 'x') }, 'https://user@reg.io': { auth: auth('good', 'y') } } }, 't', KEY)]);
    expect(ring.size).toBe(1);
    expect(ring.lookup('reg.io/team/app').map((c) => c.username)).toEqual(['good']);
  });
});

describe('Keyring.lookup with entries that carry no username or password (keyring.go BasicDockerKeyring.Lookup)', () => {
  it('an email-only docker.io entry matches Docker Hub images: the one candidate has no username or password, so the pull is anonymous', () => {
    const ring = new Keyring([parseDockerConfig({ auths: { 'docker.io': { email: 'me@example.com' } } }, 't', KEY)]);
    const found = ring.lookup('docker.io/library/nginx');
    expect(found).toHaveLength(1);
    expect(found[0].username).toBeUndefined();
    expect(found[0].password).toBeUndefined();
    expect(found[0].identityToken).toBeUndefined();
  });

  it('it matches, so the index.docker.io fallback is not used (only when no key matched)', () => {
    const ring = new Keyring([parseDockerConfig({ auths: { 'docker.io': { email: 'me@example.com' }, 'https://index.docker.io/v1/': { auth: auth('hub', 'pw') } } }, 't', KEY)]);
    expect(ring.lookup('docker.io/library/nginx').map((c) => c.username)).toEqual([undefined]);
    // without the email-only entry the fallback key answers
    const fallback = new Keyring([parseDockerConfig({ auths: { 'https://index.docker.io/v1/': { auth: auth('hub', 'pw') } } }, 't', KEY)]);
    expect(fallback.lookup('docker.io/library/nginx').map((c) => c.username)).toEqual(['hub']);
  });
});

describe('hashAuthConfig (pkg/credentialprovider/keyring.go hashAuthConfig: sha256 of json.Marshal(AuthConfig{Username, Password, Email}))', () => {
  const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');
  // The JSON texts are what Go's encoding/json writes (json.Marshal: omitempty, declaration order, HTML escaping).
  it.each([
    ['username and password', { username: 'user', password: 'pass' }, '{"username":"user","password":"pass"}'],
    ['with email', { username: 'user', password: 'pass', email: 'me@example.com' }, '{"username":"user","password":"pass","email":"me@example.com"}'],
    ['email only', { email: 'me@example.com' }, '{"email":"me@example.com"}'],
    ['nothing (omitempty drops every field)', {}, '{}'],
    ['empty strings are omitted', { username: '', password: 'p' }, '{"password":"p"}'],
    ['HTML characters escaped (json.Marshal escapes <, >, &)', { password: 'a<b>&c' }, '{"password":"a\\u003cb\\u003e\\u0026c"}'],
    ['quotes and backslashes', { password: 'q"b\\s' }, '{"password":"q\\"b\\\\s"}'],
    ['short escapes, \\b and \\f as Go 1.22+ writes them', { password: '\b\f\n\r\t' }, '{"password":"\\b\\f\\n\\r\\t"}'],
    ['other control characters as \\u00XX (lower-case hex)', { password: '\u0001\u001f' }, '{"password":"\\u0001\\u001f"}'],
    ['DEL and non-ASCII stay raw', { password: '\u007fé€😀' }, '{"password":"\u007fé€😀"}'],
    ['U+2028 and U+2029 escaped', { password: 'a\u2028b\u2029' }, '{"password":"a\\u2028b\\u2029"}'],
  ])('%s', (_case, config, json) => {
    expect(hashAuthConfig(config)).toBe(sha256(json));
  });

  it('equals the hashes Go computes (json.Marshal of credentialprovider.AuthConfig, then sha256, run with a Go toolchain)', () => {
    expect(hashAuthConfig({ username: 'user', password: 'pass' })).toBe('cb54b00fb550d4a17c448149caa29f38f4d5a44fb87c752e43db8160af3a032a');
    expect(hashAuthConfig({})).toBe('44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
    expect(hashAuthConfig({ password: 'a<b>&c' })).toBe('7117ac5adab3d19ccad30158a5d51c05a81806844d923272c5217cd01033f8c2');
    expect(hashAuthConfig({ password: '\u0001\u001f\n\r\t' })).toBe('e15b0fb90e785f3e4afd0c50fb33e8c168e48b18aca65bf13c5b715951b46bb1');
    expect(hashAuthConfig({ password: 'a\u2028b\u2029' })).toBe('3e21e8adabd39548785f516b8daa2f4a07a1aed5c1b4ee4aed2d4ab5f8380348');
    expect(hashAuthConfig({ password: Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x62]) })).toBe('46ad94ad95c407c78b1e9980d5e70359350b4938ee334db878c18fc5c366f464');
    expect(hashAuthConfig({ username: 'user', password: 'pass', email: 'me@example.com' })).toBe('625ef26aae6e87d5b9bb45ccf532bbfbd7f1e864074eff0af0ad4427cef9fb39');
  });

  it('each byte of invalid UTF-8 (from a decoded auth) is written as \\ufffd', () => {
    expect(goJsonString(Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xed, 0xa0, 0x80, 0x62])).toString('latin1')).toBe('"a\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffdb"');
    expect(hashAuthConfig({ username: Buffer.from('u'), password: Buffer.from([0xff]) })).toBe(sha256('{"username":"u","password":"\\ufffd"}'));
  });

  it('the same credential hashes the same however the entry spells it: auth or username/password, other fields, white space', () => {
    const hashes = [
      readDockerConfig('{"auths":{"reg.io":{"auth":"dXNlcjpwYXNz"}}}', 't')['reg.io'].authConfigHash,
      readDockerConfig('{ "auths" : { "reg.io" : { "username" : "user", "password" : "pass" } } }', 't')['reg.io'].authConfigHash,
      readDockerConfig('{"auths":{"reg.io":{"username":"user","password":"pass","identitytoken":"x","serveraddress":"y"},"other.io":{"auth":"eDp5"}}}', 't')['reg.io'].authConfigHash,
      readDockerConfig('{\n  "auths": {\n    "reg.io": {\n      "auth": "dXNlcjpwYXNz"\n    }\n  }\n}\n', 't')['reg.io'].authConfigHash,
    ];
    expect(new Set(hashes).size).toBe(1);
    expect(hashes[0]).toBe(sha256('{"username":"user","password":"pass"}'));
    // the email is part of the AuthConfig the kubelet hashes
    expect(readDockerConfig('{"auths":{"reg.io":{"auth":"dXNlcjpwYXNz","email":"e"}}}', 't')['reg.io'].authConfigHash).not.toBe(hashes[0]);
  });

  it('the registry client\'s credentials do not carry it (identities stay keyed HMACs: issue 11, item 5)', () => {
    const credential = parseDockerConfig('{"auths":{"reg.io":{"auth":"dXNlcjpwYXNz"}}}', 't', KEY)['reg.io'];
    expect(credential).toMatchObject({ username: 'user', password: 'pass' });
    expect(Object.keys(credential)).not.toContain('authConfigHash');
    expect(JSON.stringify(credential)).not.toContain(createHash('sha256').update('{"username":"user","password":"pass"}').digest('hex'));
  });
});

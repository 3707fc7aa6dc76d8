import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { goToLower, parseReference, ReferenceErrors, validateDigest } from './parse.js';

const HEX64 = 'dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c';
const DIGEST = `sha256:${HEX64}`;

function errorOf(input: string): string | null {
  const result = parseReference(input);
  return result.ok ? null : result.error;
}

function partsOf(input: string) {
  const result = parseReference(input);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(input)} to parse, got: ${result.error}`);
  const { domain, path, tag, digest } = result.reference;
  return { domain, path, tag, digest };
}

describe('reference parser against the answers of Kubernetes\' own parser', () => {
  const vectors = readFileSync(new URL('../../test/fixtures/reference-examples.jsonl', import.meta.url), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown> & { input: string; ok: boolean });

  it('has all 122 vectors', () => expect(vectors).toHaveLength(122));

  it.each(vectors.map((v) => [JSON.stringify(v.input).slice(0, 90), v] as const))('%s', (_label, vector) => {
    const result = parseReference(vector.input);
    if (vector.ok) {
      expect(result).toEqual({ ok: true, reference: Object.fromEntries(Object.entries(vector).filter(([k]) => k !== 'ok')) });
    } else {
      expect(result).toEqual({ ok: false, input: vector.input, error: vector.error });
    }
  });
});

describe('grammar rules', () => {
  it.each([
    // separators
    ['a.b', true], ['a_b', true], ['a__b', true], ['a___b', false], ['a-b', true], ['a----b', true],
    ['a._b', false], ['a-.b', false], ['a_-b', false], ['a.b.c', true], ['a__b__c', true],
    // components
    ['a/b', true], ['a//b', false], ['a/', false], ['/a', false], ['a/.b', false], ['a/b-', false],
    ['0', true], ['0/1/2', true],
  ] as const)('path %s valid=%s', (path, valid) => {
    expect(errorOf(`example.com/${path}`) === null).toBe(valid);
  });

  it.each([
    ['example.com', true], ['Example.COM', true], ['localhost', true], ['a', false], ['A', true], ['a-b.c', true], ['-a.com', false],
    ['a-.com', false], ['a..com', false], ['a.com:', false], ['a.com:0', true], ['a.com:65536', true],
    ['a.com:99999999999', true], ['a.com:1a', false], ['a_b.com', false], ['[::1]', true], ['[::1]:5000', true],
    ['[FE80::1]', true], ['[]', false], ['[::1', false], ['[::g]', false], ['[1.2.3.4]', false],
    ['999.999.999.999', true], ['xn--bcher-kva.example', true],
  ] as const)('domain %s valid=%s', (domain, valid) => {
    const result = parseReference(`${domain}/repo`);
    expect(result.ok && result.reference.domain === domain).toBe(valid);
  });

  it.each([
    ['t', true], ['_', true], ['T', true], ['1.0', true], ['a-b_c.D', true], ['-a', false], ['.a', false],
    ['a'.repeat(128), true], ['a'.repeat(129), false], ['a+b', false], ['a/b', false], ['a:b', false],
  ] as const)('tag %s valid=%s', (tag, valid) => {
    expect(errorOf(`repo:${tag}`) === null).toBe(valid);
  });

  it('keeps both tag and digest at parse time, and drops the tag only in the pull reference', () => {
    const result = parseReference(`nginx:1.25@${DIGEST}`);
    expect(result.ok && result.reference).toMatchObject({
      tag: '1.25',
      digest: DIGEST,
      canonical: `docker.io/library/nginx:1.25@${DIGEST}`,
      familiar: `nginx:1.25@${DIGEST}`,
      pullReference: `docker.io/library/nginx@${DIGEST}`,
    });
  });

  it('keeps Docker\'s familiar-form quirk: a dotted Hub namespace reads back as a host', () => {
    const result = parseReference('docker.io/a.b/c');
    expect(result.ok && result.reference.familiar).toBe('a.b/c');
    expect(partsOf('a.b/c')).toEqual({ domain: 'a.b', path: 'c', tag: null, digest: null });
  });

  it('never returns a digest as a tag', () => {
    expect(partsOf(`nginx@${DIGEST}`)).toEqual({ domain: 'docker.io', path: 'library/nginx', tag: null, digest: DIGEST });
  });

  it.each([
    ['foo:5000', { domain: 'docker.io', path: 'library/foo', tag: '5000', digest: null }],
    ['foo:5000/bar', { domain: 'foo:5000', path: 'bar', tag: null, digest: null }],
    ['myhost/app', { domain: 'docker.io', path: 'myhost/app', tag: null, digest: null }],
    ['localhost/app', { domain: 'localhost', path: 'app', tag: null, digest: null }],
    ['index.docker.io/app', { domain: 'docker.io', path: 'library/app', tag: null, digest: null }],
    ['index.docker.io/org/app', { domain: 'docker.io', path: 'org/app', tag: null, digest: null }],
    ['Foo/bar', { domain: 'Foo', path: 'bar', tag: null, digest: null }],
    ['fOO/bar:Latest', { domain: 'fOO', path: 'bar', tag: 'Latest', digest: null }],
    // A first component that looks like a domain but is not one becomes part of the path (domain "").
    ['foo_bar.com/app', { domain: '', path: 'foo_bar.com/app', tag: null, digest: null }],
  ] as const)('splits %s as Kubernetes does', (input, parts) => {
    expect(partsOf(input)).toEqual(parts);
  });

  it('counts only the path, not the domain, against the 255-character limit', () => {
    const domain = `${'a'.repeat(300)}.example.com`;
    expect(partsOf(`${domain}/${'b'.repeat(255)}`).path).toHaveLength(255);
    expect(errorOf(`${domain}/${'b'.repeat(256)}`)).toBe(ReferenceErrors.nameTooLong);
    // library/ counts: 247 + 8 = 255
    expect(errorOf('c'.repeat(247))).toBeNull();
    expect(errorOf('c'.repeat(248))).toBe(ReferenceErrors.nameTooLong);
  });
});

describe('error texts', () => {
  it.each([
    ['', ReferenceErrors.invalidFormat],
    [HEX64, `invalid repository name (${HEX64}), cannot specify 64-byte hexadecimal strings`],
    ['Nginx', 'invalid reference format: repository name (library/Nginx) must be lowercase'],
    ['org/Nginx:1', 'invalid reference format: repository name (org/Nginx) must be lowercase'],
    [`ubuntu@SHA256:${HEX64}`, 'invalid reference format: repository name (library/ubuntu@SHA256) must be lowercase'],
    [`ubuntu@sha256:${HEX64.toUpperCase()}`, ReferenceErrors.digestInvalidFormat],
    [`ubuntu@sha256:${HEX64.slice(0, 40)}`, ReferenceErrors.digestInvalidLength],
    [`ubuntu@sha384:${HEX64}`, ReferenceErrors.digestInvalidLength],
    [`ubuntu@md5:${'f'.repeat(32)}`, ReferenceErrors.digestUnsupported],
    [`ubuntu:1@Sha256:${HEX64}`, ReferenceErrors.digestInvalidFormat],
    ['ubuntu:', ReferenceErrors.invalidFormat],
    ['ubuntu latest', ReferenceErrors.invalidFormat],
    // The Kelvin sign lower-cases to "k": the lower-cased input would parse, so Go says "must be lowercase".
    ['ubuntu:\u212a', ReferenceErrors.nameUppercase],
    // Go lower-cases U+0130 to "i" (JavaScript gives "i̇"): same answer as Go.
    ['ubuntu:\u0130', ReferenceErrors.nameUppercase],
    ['ubuntu:\u00e9', ReferenceErrors.invalidFormat],
  ] as const)('%j → %s', (input, error) => {
    expect(errorOf(input)).toBe(error);
  });

  it('Parse reports an empty name as having no component', async () => {
    const { parseParts } = await import('./parse.js');
    expect(parseParts('')).toBe(ReferenceErrors.nameEmpty);
  });

  it.each([
    ['sha256', ReferenceErrors.digestInvalidFormat],
    [':abc', ReferenceErrors.digestInvalidFormat],
    ['sha256:', ReferenceErrors.digestInvalidFormat],
    [`sha256:${HEX64}`, null],
    [`sha512:${'0'.repeat(128)}`, null],
    [`sha384:${'0'.repeat(96)}`, null],
    [`sha256:${'0'.repeat(63)}g`, ReferenceErrors.digestInvalidFormat],
    [`SHA256:${HEX64}`, ReferenceErrors.digestInvalidFormat],
    [`sha256+b64:${'f'.repeat(64)}`, ReferenceErrors.digestUnsupported],
    [`constructor:${'f'.repeat(64)}`, ReferenceErrors.digestUnsupported],
  ] as const)('go-digest validates %s', (digest, error) => {
    expect(validateDigest(digest)).toBe(error);
  });

  it('the one-pass digest check agrees with go-digest validation on random digests', () => {
    const hex = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
    const digest = fc
      .tuple(fc.constantFrom('sha256', 'sha384', 'sha512', 'SHA256', 'md5', 'sha256+b64'), fc.string({ unit: hex, minLength: 30, maxLength: 130 }))
      .map(([algorithm, encoded]) => `${algorithm}:${encoded}`);
    fc.assert(
      fc.property(digest, (d) => {
        const result = parseReference(`registry.example.com/app@${d}`);
        const expected = validateDigest(d);
        // 32+ hex characters are needed before go-digest is even asked.
        if (d.length - d.indexOf(':') - 1 < 32) expect(result.ok).toBe(false);
        else if (/[A-Z]/.test(d.slice(0, d.indexOf(':')))) expect(result.ok).toBe(false);
        else expect(result.ok ? null : result.error).toBe(expected);
      }),
      { numRuns: 3_000 },
    );
  });

  it('matches Go lower-casing for U+0130', () => expect(goToLower('\u0130A')).toBe('ia'));
});

describe('properties', () => {
  const alnum = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'.split(''));
  const component = fc
    .tuple(
      fc.string({ unit: alnum, minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(fc.constantFrom('.', '_', '__', '-', '--'), fc.string({ unit: alnum, minLength: 1, maxLength: 6 })), { maxLength: 3 }),
    )
    .map(([head, rest]) => head + rest.map(([sep, part]) => sep + part).join(''));
  const path = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
  const domain = fc.constantFrom('docker.io', 'ghcr.io', 'localhost:5000', 'registry.example.com', '[::1]:5000', 'Reg.Example.ORG', '10.0.0.1:443');
  const tag = fc.stringMatching(/^[\w][\w.-]{0,20}$/);
  const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((hex) => `sha256:${hex}`);
  const validReference = fc
    .tuple(fc.option(domain, { nil: undefined }), path, fc.option(tag, { nil: undefined }), fc.option(digest, { nil: undefined }))
    .map(([d, p, t, g]) => (d ? `${d}/` : '') + p + (t ? `:${t}` : '') + (g ? `@${g}` : ''));
  const hostileChars = fc.constantFrom(...'aA0-._/:@[]%~ \n\u0130\u212a'.split(''));

  it('never throws, whatever the input', () => {
    fc.assert(fc.property(fc.oneof(fc.string(), fc.string({ unit: hostileChars }), fc.string({ unit: 'grapheme' })), (input) => {
      parseReference(input);
    }), { numRuns: 5_000 });
  });

  it('canonical re-parses to itself, and so does familiar', () => {
    fc.assert(fc.property(validReference, (input) => {
      const result = parseReference(input);
      expect(result.ok).toBe(true);
      if (!result.ok) return;
      const again = parseReference(result.reference.canonical);
      expect(again.ok && again.reference.canonical).toBe(result.reference.canonical);
      // Docker's quirk: a Hub namespace that looks like a host (`docker.io/a.b/c` → `a.b/c`) does not
      // survive familiarisation; every other familiar form re-parses to the same reference.
      const firstComponent = result.reference.familiar.split('/')[0];
      if (result.reference.domain === 'docker.io' && /[.:]/.test(firstComponent) && result.reference.familiar.includes('/')) return;
      const familiar = parseReference(result.reference.familiar);
      expect(familiar.ok && familiar.reference.canonical).toBe(result.reference.canonical);
    }), { numRuns: 2_000 });
  });

  it('a parsed reference\'s parts rebuild it', () => {
    fc.assert(fc.property(validReference, (input) => {
      const result = parseReference(input);
      if (!result.ok) throw new Error(result.error);
      const { domain, path, tag, digest, name, canonical } = result.reference;
      expect(name).toBe(domain === '' ? path : `${domain}/${path}`);
      expect(canonical).toBe(name + (tag === null ? '' : `:${tag}`) + (digest === null ? '' : `@${digest}`));
    }), { numRuns: 2_000 });
  });

  it('default pull policy is Always exactly for :latest or no tag and no digest', () => {
    fc.assert(fc.property(validReference, (input) => {
      const result = parseReference(input);
      if (!result.ok) throw new Error(result.error);
      const { tag, digest, defaultPullPolicy } = result.reference;
      expect(defaultPullPolicy).toBe(tag === 'latest' || (tag === null && digest === null) ? 'Always' : 'IfNotPresent');
    }), { numRuns: 1_000 });
  });

  // A million characters: linear work takes milliseconds, quadratic work (backtracking) takes minutes, so
  // only backtracking crosses the 10 s bound, however busy the machine. (`npm run bench` measures the speed:
  // "parser: worst hostile 100 000-character input".)
  it.each([
    ['separators', 'a' + '-'.repeat(1_000_000)],
    ['alternating separators', 'a' + '._-'.repeat(333_333) + '!'],
    ['long path', 'a/'.repeat(500_000) + '!'],
    ['long domain', 'a.'.repeat(500_000) + '/b'],
    ['domain dashes', 'a' + '-'.repeat(999_998) + '.com/x'],
    ['colons', ':'.repeat(1_000_000)],
    ['digest-like', 'a@' + 'a.'.repeat(500_000)],
    ['brackets', '[' + ':'.repeat(999_998) + '/a'],
    ['upper case', 'A'.repeat(1_000_000)],
    ['huge valid path', 'a'.repeat(1_000_000)],
  ])('rejects a hostile 1 000 000-character input (%s) without backtracking', (_name, input) => {
    const started = performance.now();
    const result = parseReference(input);
    const elapsed = performance.now() - started;
    expect(result.ok).toBe(false);
    expect(elapsed).toBeLessThan(10_000);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ApiError, ErrorCode } from '../common/errors.js';
import { parseReference } from '../reference/parse.js';
import {
  defaultPullPolicyFor,
  hasSurroundingWhitespace,
  PULL_POLICIES,
  resolvePullPolicy,
  validatePullPolicy,
} from './pull-policy.js';

const HEX = 'a'.repeat(64);

describe('defaulting (kubernetes-semantics.md section 1 table)', () => {
  const rows: Array<[image: string, policy: string, reason: string, valid: boolean]> = [
    ['nginx', 'Always', 'NoTag', true],
    ['nginx:latest', 'Always', 'TagLatest', true],
    ['nginx:Latest', 'IfNotPresent', 'TagNotLatest', true],
    ['nginx:LATEST', 'IfNotPresent', 'TagNotLatest', true],
    ['nginx:latest-alpine', 'IfNotPresent', 'TagNotLatest', true],
    ['nginx:1.25', 'IfNotPresent', 'TagNotLatest', true],
    [`nginx@sha256:${HEX}`, 'IfNotPresent', 'DigestOnly', true],
    [`nginx:latest@sha256:${HEX}`, 'Always', 'TagLatest', true],
    [`nginx:1.25@sha256:${HEX}`, 'IfNotPresent', 'TagNotLatest', true],
    ['Nginx', 'IfNotPresent', 'InvalidImage', false],
    ['nginx:', 'IfNotPresent', 'InvalidImage', false],
    ['nginx@sha256:abc', 'IfNotPresent', 'InvalidImage', false],
    [`nginx@sha256:${'A'.repeat(64)}`, 'IfNotPresent', 'InvalidImage', false],
    ['', 'IfNotPresent', 'InvalidImage', false],
    // more shapes of the same rule
    ['registry.example.com:5000/team/app', 'Always', 'NoTag', true],
    ['localhost:5000', 'IfNotPresent', 'TagNotLatest', true], // Docker Hub library/localhost, tag 5000
    ['ghcr.io/org/app:latest', 'Always', 'TagLatest', true],
  ];
  it.each(rows)('%s → %s (%s)', (image, policy, reason, valid) => {
    const result = resolvePullPolicy({ image });
    expect(result).toMatchObject({ image, imagePullPolicy: policy, defaulted: true, imageValid: valid, reason });
    expect(defaultPullPolicyFor(image)).toBe(policy);
  });

  it('an unparsable image warns that the kubelet fails with InvalidImageName, quoting the parser', () => {
    const result = resolvePullPolicy({ image: 'Nginx' });
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toContain('InvalidImageName');
    expect(result.warnings[0]).toContain('invalid reference format: repository name (library/Nginx) must be lowercase');
  });

  it('an empty image warns with the API server\'s Required value', () => {
    expect(resolvePullPolicy({ image: '' }).warnings[0]).toMatch(/^image: Required value/);
  });

  it('white space around the image is called out (Pods reject it)', () => {
    const result = resolvePullPolicy({ image: ' nginx' });
    expect(result.imageValid).toBe(false);
    expect(result.warnings.some((w) => w.includes('must not have leading or trailing whitespace'))).toBe(true);
  });

  it(':latest@digest explains the documentation/code difference', () => {
    const result = resolvePullPolicy({ image: `nginx:latest@sha256:${HEX}` });
    expect(result.warnings.join('\n')).toContain('the code compares only the tag');
  });

  it('a case variant of latest explains the case-sensitive comparison', () => {
    expect(resolvePullPolicy({ image: 'nginx:Latest' }).warnings.join('\n')).toContain('case-sensitive');
  });

  it('agrees with the parser\'s defaultPullPolicy for every example reference', () => {
    for (const image of ['ubuntu', 'ubuntu:latest', 'docker.io/library/ubuntu:22.04', `a/b@sha256:${HEX}`]) {
      const parsed = parseReference(image);
      expect(parsed.ok).toBe(true);
      if (parsed.ok) expect(resolvePullPolicy({ image }).imagePullPolicy).toBe(parsed.reference.defaultPullPolicy);
    }
  });
});

describe('validation of given values', () => {
  it.each(PULL_POLICIES)('%s is kept as given', (policy) => {
    expect(resolvePullPolicy({ image: 'nginx:1.25', imagePullPolicy: policy })).toMatchObject({
      imagePullPolicy: policy,
      defaulted: false,
      reason: 'Specified',
    });
  });

  it.each([null, undefined, ''])('%j counts as not set', (value) => {
    expect(resolvePullPolicy({ image: 'nginx', imagePullPolicy: value })).toMatchObject({ imagePullPolicy: 'Always', defaulted: true });
  });

  it.each(['always', 'ALWAYS', 'Sometimes', ' Always', 'IfNotPresent '])('%j is InvalidPullPolicy naming the value', (value) => {
    let caught: unknown;
    try {
      resolvePullPolicy({ image: 'nginx', imagePullPolicy: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe(ErrorCode.InvalidPullPolicy);
    expect((caught as ApiError).message).toContain(`Unsupported value: ${JSON.stringify(value)}: supported values: "Always", "IfNotPresent", "Never"`);
  });

  it('hints at the right spelling of a case variant', () => {
    expect(() => validatePullPolicy('ifnotpresent')).toThrow('did you mean "IfNotPresent"?');
  });
});

describe('AlwaysPullImages admission (section 2)', () => {
  it.each(['nginx:1.25', `nginx@sha256:${HEX}`, 'Nginx'])('%s gets Always', (image) => {
    expect(resolvePullPolicy({ image, alwaysPullImages: true })).toMatchObject({
      imagePullPolicy: 'Always',
      defaulted: false,
      reason: 'AlwaysPullImages',
    });
  });

  it('replaces a given value with a warning', () => {
    const result = resolvePullPolicy({ image: 'nginx:1.25', imagePullPolicy: 'Never', alwaysPullImages: true });
    expect(result.imagePullPolicy).toBe('Always');
    expect(result.warnings.join('\n')).toContain('replaces imagePullPolicy Never with Always');
  });

  // Mutating admission before validation (issue 12, item 3). This test used to expect an InvalidPullPolicy error with
  // alwaysPullImages; the API server runs AlwaysPullImages.Admit before the Pod strategy's Validate, so the Pod gets Always.
  it.each([
    // [value, alwaysPullImages, outcome, Kubernetes source]
    ['always', true, 'Always', 'handlers/create.go: mutatingAdmission.Admit before r.Create; alwayspullimages/admission.go Admit sets Always'],
    ['Sometimes', true, 'Always', 'same: Admit replaces any value before validation'],
    [' Never', true, 'Always', 'same'],
    ['always', false, 'InvalidPullPolicy', 'pkg/apis/core/validation/validation.go validatePullPolicy: field.NotSupported'],
    ['Sometimes', false, 'InvalidPullPolicy', 'same: no admission plugin, validation rejects it'],
  ] as const)('%j with alwaysPullImages %s → %s (%s)', (value, alwaysPullImages, outcome, _source) => {
    const run = () => resolvePullPolicy({ image: 'nginx:1.25', imagePullPolicy: value, alwaysPullImages });
    if (outcome === 'InvalidPullPolicy') {
      expect(run).toThrow(ApiError);
      return;
    }
    const result = run();
    expect(result).toMatchObject({ imagePullPolicy: 'Always', reason: 'AlwaysPullImages', defaulted: false });
    expect(result.warnings.join('\n')).toContain(`replaces the unsupported imagePullPolicy ${JSON.stringify(value)} with Always before validation`);
    expect(result.warnings.join('\n')).toContain('Unsupported value');
  });
});

describe('white space as Go sees it', () => {
  it.each([
    [' a', true],
    ['a\t', true],
    ['a\u0085', true], // NEL: Go trims it, JavaScript does not
    ['\u00a0a', true],
    ['\ufeffa', false], // BOM: JavaScript trims it, Go does not
    ['a', false],
    ['', false],
  ])('%j → %s', (image, expected) => {
    expect(hasSurroundingWhitespace(image)).toBe(expected);
  });
});

describe('properties', () => {
  const images = fc.oneof(
    fc.string(),
    fc.constantFrom('nginx', 'nginx:latest', 'nginx:Latest', `nginx@sha256:${HEX}`, `a/b:latest@sha256:${HEX}`, 'Nginx', 'x:'),
    fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}(\/[a-z0-9]{1,8}){0,2}$/), fc.option(fc.stringMatching(/^[\w][\w.-]{0,10}$/))).map(
      ([name, tag]) => (tag === null ? name : `${name}:${tag}`),
    ),
  );

  it('defaulting never throws and always gives a valid policy', () => {
    fc.assert(
      fc.property(images, fc.boolean(), (image, always) => {
        const result = resolvePullPolicy({ image, alwaysPullImages: always });
        expect(PULL_POLICIES).toContain(result.imagePullPolicy);
        expect(result.image).toBe(image);
      }),
      { numRuns: 500 },
    );
  });

  it('is idempotent: applying the answer again keeps it', () => {
    fc.assert(
      fc.property(images, (image) => {
        const first = resolvePullPolicy({ image });
        const second = resolvePullPolicy({ image, imagePullPolicy: first.imagePullPolicy });
        expect(second.imagePullPolicy).toBe(first.imagePullPolicy);
        expect(second.defaulted).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('matches the parser: Always exactly when a parsed image has tag latest or no tag and no digest', () => {
    fc.assert(
      fc.property(images, (image) => {
        const parsed = parseReference(image);
        const expected = parsed.ok && (parsed.reference.tag === 'latest' || (parsed.reference.tag === null && parsed.reference.digest === null));
        expect(resolvePullPolicy({ image }).imagePullPolicy).toBe(expected ? 'Always' : 'IfNotPresent');
      }),
      { numRuns: 500 },
    );
  });
});

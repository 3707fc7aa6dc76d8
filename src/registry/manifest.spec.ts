import { describe, expect, it } from 'vitest';
import { formatPlatform, MANIFEST_ACCEPT, parsePlatform, platformsMatch, readConfigPlatform, readIndex, selectPlatform } from './manifest.js';

describe('the Accept set', () => {
  it('lists all four manifest types', () => {
    for (const t of [
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.oci.image.manifest.v1+json',
      'application/vnd.docker.distribution.manifest.v2+json',
    ]) {
      expect(MANIFEST_ACCEPT).toContain(t);
    }
  });
});

describe('platforms', () => {
  it.each([
    ['linux/amd64', { os: 'linux', architecture: 'amd64' }],
    ['linux/arm64/v8', { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    ['Linux/ARM64', { os: 'linux', architecture: 'arm64' }],
    ['linux', null],
    ['linux/arm/v7/x', null],
    ['linux//v7', null],
    ['linux/am d64', null],
  ])('parsePlatform(%s)', (text, expected) => {
    expect(parsePlatform(text)).toEqual(expected);
  });

  it.each([
    ['linux/arm64', 'linux/arm64/v8', true],
    ['linux/arm64/v8', 'linux/arm64', true],
    ['linux/arm', 'linux/arm/v7', true],
    ['linux/arm/v6', 'linux/arm/v7', false],
    ['linux/amd64', 'linux/amd64', true],
    ['linux/amd64', 'linux/amd64/v3', false],
    ['linux/x86_64', 'linux/amd64', true],
    ['linux/amd64', 'windows/amd64', false],
  ])('%s matches %s: %s', (a, b, expected) => {
    expect(platformsMatch(parsePlatform(a)!, parsePlatform(b)!)).toBe(expected);
  });
});

describe('index entries', () => {
  const index = {
    manifests: [
      { digest: 'sha256:att', mediaType: 'm', platform: { os: 'unknown', architecture: 'unknown' } },
      { digest: 'sha256:amd', mediaType: 'm', platform: { os: 'linux', architecture: 'amd64' } },
      { digest: 'sha256:arm', mediaType: 'm', platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { digest: 'sha256:att2', mediaType: 'm', platform: { os: 'linux', architecture: 'arm64' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } },
      { digest: 'sha256:noplat', mediaType: 'm' },
    ],
  };

  it('skips attestations and picks the matching entry', () => {
    const entries = readIndex(index);
    expect(entries.filter((e) => e.attestation).map((e) => e.digest)).toEqual(['sha256:att', 'sha256:att2']);
    expect(selectPlatform(entries, parsePlatform('linux/arm64')!)?.digest).toBe('sha256:arm');
    expect(selectPlatform(entries, parsePlatform('linux/amd64')!)?.digest).toBe('sha256:amd');
    expect(selectPlatform(entries, parsePlatform('unknown/unknown')!)).toBeNull();
    expect(selectPlatform(entries, parsePlatform('linux/s390x')!)).toBeNull();
  });

  it('refuses a body that is not an index; reads config platforms', () => {
    expect(() => readIndex({ layers: [] })).toThrow();
    expect(readConfigPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' })).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(readConfigPlatform({})).toBeNull();
    expect(formatPlatform({ os: 'linux', architecture: 'arm', variant: 'v7' })).toBe('linux/arm/v7');
  });
});

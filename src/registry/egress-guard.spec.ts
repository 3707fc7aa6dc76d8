import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  classifyIPv4,
  classifyName,
  decideEgress,
  EgressPolicy,
  ipLiteralOf,
  parseIPv4Loose,
  parseIPv6,
  preflightEgress,
} from './egress-guard.js';

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.216.34', 'public'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'reserved'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['169.254.169.254', 'metadata'],
    ['100.100.100.200', 'metadata'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['0:0:0:0:0:0:0:1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['0:0:0:0:0:ffff:7f00:0001', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a9fe:a9fe', 'metadata'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['::ffff:0:127.0.0.1', 'loopback'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['64:ff9b::a9fe:a9fe', 'metadata'],
    ['64:ff9b::808:808', 'public'],
    ['64:ff9b:1::1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['2002:a9fe:a9fe::1', 'metadata'],
    ['2002:808:808::1', 'public'],
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback'], // Teredo client 127.0.0.1 (bits inverted)
    ['fd00:ec2::254', 'metadata'],
    ['fd12:3456::1', 'unique-local'],
    ['fc00::1', 'unique-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['[fe80::1]', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'reserved'],
    ['2606:4700:4700::1111', 'public'],
    ['not an address', 'reserved'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

describe('IPv4 spellings that resolvers accept', () => {
  it.each([
    ['127.0.0.1', [127, 0, 0, 1]],
    ['127.1', [127, 0, 0, 1]],
    ['127.0.1', [127, 0, 0, 1]],
    ['2130706433', [127, 0, 0, 1]],
    ['0x7f000001', [127, 0, 0, 1]],
    ['0x7f.1', [127, 0, 0, 1]],
    ['0177.0.0.1', [127, 0, 0, 1]],
    ['017700000001', [127, 0, 0, 1]],
    ['0xa9.0xfe.0xa9.0xfe', [169, 254, 169, 254]],
    ['0', [0, 0, 0, 0]],
    ['256.1.1.1', null],
    ['1.2.3.4.5', null],
    ['08.1.1.1', null],
    ['example.com', null],
    ['1.2.3.', null],
    ['4294967296', null],
  ])('%s', (text, expected) => {
    expect(parseIPv4Loose(text)).toEqual(expected);
  });

  it('names are not literals, metadata and localhost names are refused by name', () => {
    expect(ipLiteralOf('registry.example.com')).toBeNull();
    expect(classifyName('metadata.google.internal')).toBe('metadata');
    expect(classifyName('METADATA.GOOGLE.INTERNAL.')).toBe('metadata');
    expect(classifyName('localhost')).toBe('loopback');
    expect(classifyName('foo.localhost')).toBe('loopback');
    expect(classifyName('registry.example.com')).toBeNull();
  });
});

describe('parseIPv6', () => {
  it.each([
    ['::', '0'.repeat(32)],
    ['1::', `0001${'0'.repeat(28)}`],
    ['::ffff:1.2.3.4', `${'0'.repeat(20)}ffff01020304`],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ])('%s', (text, hex) => {
    expect(Buffer.from(parseIPv6(text) as number[]).toString('hex')).toBe(hex);
  });
  it.each(['1:2:3:4:5:6:7:8:9', '1::2::3', '::g', '12345::', '1:2:3:4:5:6:7', '::1.2.3.256'])('rejects %s', (text) => {
    expect(parseIPv6(text)).toBeNull();
  });
});

const octet = fc.integer({ min: 0, max: 255 });
const ipv4 = fc.tuple(octet, octet, octet, octet);
const hex4 = (a: number, b: number): string => ((a << 8) | b).toString(16);

describe('properties', () => {
  it('every IPv6 spelling of an IPv4 address is judged like the IPv4 address', () => {
    fc.assert(
      fc.property(ipv4, ([a, b, c, d]) => {
        const expected = classifyIPv4([a, b, c, d]);
        if (a === 0 && b === 0 && c === 0 && d <= 1) return; // :: and ::1 are IPv6's own
        expect(classifyAddress(`::ffff:${a}.${b}.${c}.${d}`)).toBe(expected);
        expect(classifyAddress(`::ffff:${hex4(a, b)}:${hex4(c, d)}`)).toBe(expected);
        expect(classifyAddress(`64:ff9b::${hex4(a, b)}:${hex4(c, d)}`)).toBe(expected);
        expect(classifyAddress(`2002:${hex4(a, b)}:${hex4(c, d)}::1`)).toBe(expected);
        expect(classifyAddress(`${a * 2 ** 24 + b * 2 ** 16 + c * 256 + d}`)).toBe(expected);
        expect(classifyAddress(`0x${(a * 2 ** 24 + b * 2 ** 16 + c * 256 + d).toString(16)}`)).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('loopback, private and link-local ranges are never public', () => {
    const blocked = fc.oneof(
      fc.tuple(fc.constant(127), octet, octet, octet),
      fc.tuple(fc.constant(10), octet, octet, octet),
      fc.tuple(fc.constant(172), fc.integer({ min: 16, max: 31 }), octet, octet),
      fc.tuple(fc.constant(192), fc.constant(168), octet, octet),
      fc.tuple(fc.constant(169), fc.constant(254), octet, octet),
    );
    fc.assert(
      fc.property(blocked, ([a, b, c, d]) => {
        expect(classifyAddress(`${a}.${b}.${c}.${d}`)).not.toBe('public');
      }),
    );
  });

  it('a name is refused when any of its addresses is not public', () => {
    const policy = new EgressPolicy([]);
    fc.assert(
      fc.property(fc.array(ipv4, { minLength: 1, maxLength: 5 }), (addresses) => {
        const list = addresses.map((b) => ({ address: b.join('.'), family: 4 }));
        const decision = decideEgress('registry.example.com', 443, list, policy);
        const allPublic = addresses.every((b) => classifyIPv4(b) === 'public');
        expect(decision.allowed).toBe(allPublic);
        if (decision.allowed) expect(decision.address).toBe(list[0].address);
      }),
    );
  });
});

describe('EgressPolicy and decisions', () => {
  const policy = new EgressPolicy(['127.0.0.1:5000', 'registry.corp', '[::1]:5001']);

  it('allows listed hosts (and ports) only', () => {
    expect(policy.allows('127.0.0.1', 5000)).toBe(true);
    expect(policy.allows('127.0.0.1', 5001)).toBe(false);
    expect(policy.allows('0x7f.1', 5000)).toBe(true); // the same address in another spelling
    expect(policy.allows('REGISTRY.corp', 443)).toBe(true);
    expect(policy.allows('::1', 5001)).toBe(true);
    expect(policy.allows('0:0::1', 5001)).toBe(true);
  });

  it('preflight decides literals and blocked names without resolving', () => {
    expect(preflightEgress('127.0.0.1', 5000, policy)).toMatchObject({ allowed: true, address: '127.0.0.1' });
    expect(preflightEgress('127.0.0.1', 6000, policy)).toMatchObject({ allowed: false });
    expect(preflightEgress('metadata.google.internal', 80, policy)).toMatchObject({ allowed: false });
    expect(preflightEgress('8.8.8.8', 443, policy)).toMatchObject({ allowed: true });
    expect(preflightEgress('registry.example.com', 443, policy)).toBeUndefined();
  });

  it('refusals say what was refused and how to allow it', () => {
    const decision = decideEgress('evil.example', 443, [{ address: '10.1.2.3', family: 4 }], policy);
    expect(decision).toEqual({
      allowed: false,
      reason: 'registry host "evil.example" resolves to a private address; allow it with REGISTRY_ALLOW_HOSTS or REGISTRY_PLAIN_HTTP',
    });
    expect(decideEgress('x.example', 443, [], policy)).toMatchObject({ allowed: false });
  });
});

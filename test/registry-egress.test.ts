import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestService } from '../src/registry/digest.service.js';
import type { Resolver } from '../src/registry/egress-connector.js';
import { digestService } from './support/digest-service.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';
import { apiErrorOf } from './support/api-error.js';


let registry: RegistryServer;
let pushed: { digest: string };
/** Fake DNS: no lookup here may leave the machine, and names are what the test says they are. */
const dns: Record<string, { address: string; family: number }[]> = {};
const lookups: string[] = [];
const resolver: Resolver = async (host) => {
  lookups.push(host);
  const answer = dns[host];
  if (!answer) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return answer;
};

beforeAll(async () => {
  registry = await startRegistry();
  pushed = await new RegistryPusher(registry.url).pushImage('guard/app', 'v1');
});
afterAll(async () => registry?.dispose());

describe('references naming internal addresses are refused unless allowed', () => {
  let service: DigestService;
  beforeAll(() => {
    // Only the test registry's own host:port is allowed.
    service = digestService({ REGISTRY_PLAIN_HTTP: registry.host }, { resolver });
  });
  afterAll(async () => service?.close());

  const port = (): number => registry.port;
  const refused: [string, () => string][] = [
    ['loopback on another port', () => `127.0.0.1:${port() + 1}/guard/app:v1`],
    ['another loopback address', () => `127.0.0.2:${port()}/guard/app:v1`],
    ['localhost', () => `localhost:${port()}/guard/app:v1`],
    ['IPv6 loopback', () => `[::1]:${port()}/guard/app:v1`],
    // (`[::ffff:127.0.0.1]` is not a valid reference domain; token realms in that spelling are tested elsewhere.)
    ['IPv4-mapped IPv6 loopback', () => `[::ffff:7f00:1]:${port() + 1}/guard/app:v1`],
    ['IPv4-mapped IPv6 metadata address', () => '[::ffff:a9fe:a9fe]/latest/meta-data:v1'],
    ['NAT64 loopback', () => `[64:ff9b::7f00:1]:${port()}/guard/app:v1`],
    ['hex short-form IPv4', () => `0x7f.1:${port() + 1}/guard/app:v1`],
    ['decimal IPv4', () => `2130706433:${port() + 1}/guard/app:v1`],
    ['the AWS/GCP/Azure metadata address', () => '169.254.169.254/latest/meta-data:v1'],
    ['the AWS IPv6 metadata address', () => '[fd00:ec2::254]/latest/meta-data:v1'],
    ['metadata.google.internal', () => 'metadata.google.internal/compute-metadata/v1:latest'],
    ['a private address', () => '10.0.0.1/guard/app:v1'],
    ['an IPv6 link-local address', () => '[fe80::1]:5000/guard/app:v1'],
  ];
  for (const [label, image] of refused) {
    it(`refuses ${label}`, async () => {
      const before = lookups.length;
      const err = await apiErrorOf(service.resolve(image()));
      expect(err.code).toBe('RegistryNotAllowed');
      expect(err.status).toBe(403);
      expect(lookups.length).toBe(before); // refused before any resolution or connection
    });
  }

  it('refuses names that resolve to private addresses, checking every address', async () => {
    dns['evil.example'] = [{ address: '127.0.0.1', family: 4 }];
    dns['mixed.example'] = [
      { address: '93.184.216.34', family: 4 },
      { address: '::ffff:10.1.2.3', family: 6 },
    ];
    dns['metadata6.example'] = [{ address: 'fd00:ec2::254', family: 6 }];
    for (const host of ['evil.example', 'mixed.example', 'metadata6.example']) {
      const err = await apiErrorOf(service.resolve(`${host}/guard/app:v1`));
      expect(err.code).toBe('RegistryNotAllowed');
      expect(err.message).toContain('resolves to');
    }
  });

  it('the allowed registry still answers', async () => {
    expect((await service.resolve(`${registry.host}/guard/app:v1`)).digest).toBe(pushed.digest);
  });
});

describe('an allowed name connects to the address it was checked at', () => {
  it('resolves once and connects to the checked address', async () => {
    dns['registry.internal.test'] = [{ address: '127.0.0.1', family: 4 }];
    const service = digestService(
      { REGISTRY_PLAIN_HTTP: `registry.internal.test:${registry.port}`, REGISTRY_ALLOW_HOSTS: 'registry.internal.test' },
      { resolver },
    );
    try {
      const before = lookups.length;
      const answer = await service.resolve(`registry.internal.test:${registry.port}/guard/app:v1`);
      expect(answer.digest).toBe(pushed.digest);
      expect(lookups.slice(before)).toEqual(['registry.internal.test']);
    } finally {
      await service.close();
    }
  });

  it('plain http is used only for listed registries (no silent downgrade)', async () => {
    dns['registry.internal.test'] = [{ address: '127.0.0.1', family: 4 }];
    // Allowed past the guard but not plain-http: https is tried and fails (the registry speaks http).
    const service = digestService({ REGISTRY_ALLOW_HOSTS: 'registry.internal.test', REGISTRY_TIMEOUT_MS: '1000' }, { resolver });
    try {
      const err = await apiErrorOf(service.resolve(`registry.internal.test:${registry.port}/guard/app:v1`));
      expect(['RegistryUnavailable', 'RegistryTimeout']).toContain(err.code);
    } finally {
      await service.close();
    }
  });
});

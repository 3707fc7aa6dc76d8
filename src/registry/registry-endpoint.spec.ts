import { describe, expect, it } from 'vitest';
import { endpointFor, plainHttpSet } from './registry-endpoint.js';

describe('endpointFor', () => {
  const plain = plainHttpSet(['127.0.0.1:5000', 'insecure.corp', '[::1]:5001']);

  it.each([
    ['docker.io', 'https://registry-1.docker.io', false],
    ['index.docker.io', 'https://registry-1.docker.io', false],
    ['ghcr.io', 'https://ghcr.io', false],
    ['reg.io:8443', 'https://reg.io:8443', false],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000', true],
    ['127.0.0.1:5001', 'https://127.0.0.1:5001', false], // never a silent downgrade
    ['localhost:5000', 'https://localhost:5000', false],
    ['insecure.corp', 'http://insecure.corp', true],
    ['insecure.corp:8080', 'http://insecure.corp:8080', true],
    ['[::1]:5001', 'http://[::1]:5001', true],
    ['[::1]:5002', 'https://[::1]:5002', false],
  ])('%s → %s', (domain, origin, plainHttp) => {
    const endpoint = endpointFor(domain, plain);
    expect(endpoint.origin).toBe(origin);
    expect(endpoint.plainHttp).toBe(plainHttp);
  });

  it('gives the host and port connections go to', () => {
    expect(endpointFor('docker.io', plain)).toMatchObject({ host: 'registry-1.docker.io', port: 443 });
    expect(endpointFor('[::1]:5001', plain)).toMatchObject({ host: '::1', port: 5001 });
  });
});

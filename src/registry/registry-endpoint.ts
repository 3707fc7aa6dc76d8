/**
 * Where a reference's domain is reached (pure): Docker Hub's API host, https unless the operator listed
 * the `host:port` as plain http (never a silent downgrade, not even for `localhost`).
 */
import { canonicalHost, splitHostPort } from './egress-guard.js';

export interface RegistryEndpoint {
  /** The reference's domain as given (`docker.io`, `localhost:5000`). */
  domain: string;
  /** Origin requests go to: `https://registry-1.docker.io`, `http://127.0.0.1:5000`. */
  origin: string;
  plainHttp: boolean;
  /** Host (without port) and port requests go to. */
  host: string;
  port: number;
}

/** Reference domains whose API lives on another host. */
const API_HOSTS: Record<string, string> = {
  'docker.io': 'registry-1.docker.io',
  'index.docker.io': 'registry-1.docker.io',
};

/** Set of plain-http `host[:port]` entries in one spelling, for membership tests. */
export function plainHttpSet(entries: readonly string[]): Set<string> {
  return new Set(entries.map(canonicalHostPort));
}

export function canonicalHostPort(entry: string): string {
  const { host, port } = splitHostPort(entry);
  const h = canonicalHost(host);
  const shown = h.includes(':') ? `[${h}]` : h;
  return port === null ? shown : `${shown}:${port}`;
}

export function endpointFor(domain: string, plainHttp: ReadonlySet<string>): RegistryEndpoint {
  const mapped = API_HOSTS[domain.toLowerCase()] ?? domain;
  const { host, port } = splitHostPort(mapped);
  const key = canonicalHostPort(mapped);
  // An entry without port covers every port of that host (the same rule as the egress allow list).
  const plain = plainHttp.has(key) || plainHttp.has(canonicalHostPort(host));
  const effectivePort = port ?? (plain ? 80 : 443);
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  const scheme = plain ? 'http' : 'https';
  const defaultPort = plain ? 80 : 443;
  const origin = `${scheme}://${hostForUrl}${effectivePort === defaultPort ? '' : `:${effectivePort}`}`;
  return { domain, origin, plainHttp: plain, host, port: effectivePort };
}

/** `/v2/<path>/manifests/<reference>` with each part kept as the grammar allows (no escaping needed). */
export function manifestUrl(endpoint: RegistryEndpoint, path: string, reference: string): string {
  return `${endpoint.origin}/v2/${path}/manifests/${reference}`;
}

export function blobUrl(endpoint: RegistryEndpoint, path: string, digest: string): string {
  return `${endpoint.origin}/v2/${path}/blobs/${digest}`;
}

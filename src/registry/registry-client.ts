/**
 * The registry client port and its HTTP implementation (OCI distribution API): resolve a reference to
 * a manifest digest with HEAD (falling back to GET + sha256 of the exact body bytes when the registry
 * omits Docker-Content-Digest), and fetch manifests and config blobs by digest for platform selection.
 * Each candidate credential is tried in order (as the kubelet does); the first that is let in wins.
 */
import { createHash } from 'node:crypto';
import { ApiError, ErrorCode } from '../common/errors.js';
import { parseRetryAfter } from './circuit-breaker.js';
import type { Credential } from '../common/docker-credentials.js';
import { bareMediaType, DIGEST_PATTERN, MANIFEST_ACCEPT } from './manifest.js';
import { type AuthContext, RegistryAuth } from './registry-auth.js';
import { blobUrl, endpointFor, manifestUrl, type RegistryEndpoint } from './registry-endpoint.js';
import { statusError } from './registry-errors.js';
import type { HttpRequest, HttpResponse, RegistryHttp } from './registry-http.js';

export interface RepositoryTarget {
  /** Reference domain (`docker.io`, `127.0.0.1:5000`). */
  domain: string;
  /** Repository path (`library/nginx`). */
  path: string;
}

export interface ManifestDescriptor {
  digest: string;
  mediaType: string;
}

/** The port the DigestService depends on (tests may swap in another implementation). */
export interface RegistryClient {
  /** Tag or digest → the manifest's digest and media type. */
  resolve(target: RepositoryTarget, reference: string, credentials: readonly Credential[], deadline: number): Promise<ManifestDescriptor>;
  /** A manifest by digest, verified against the digest. */
  fetchManifest(target: RepositoryTarget, digest: string, credentials: readonly Credential[], deadline: number): Promise<{ mediaType: string; body: Buffer }>;
  /** A blob by digest (redirects followed without credentials), verified against the digest. */
  fetchBlob(target: RepositoryTarget, digest: string, credentials: readonly Credential[], deadline: number, maxBytes: number): Promise<Buffer>;
  close(): Promise<void>;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export function sha256Digest(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function verify(bytes: Buffer, digest: string, registry: string): void {
  // Only sha256 is computed here; other algorithms are trusted as served.
  if (digest.startsWith('sha256:') && sha256Digest(bytes) !== digest) {
    throw new ApiError(ErrorCode.RegistryUnavailable, `registry ${registry} served content that does not match ${digest}`);
  }
}

export class HttpRegistryClient implements RegistryClient {
  private readonly auth: RegistryAuth;

  constructor(
    private readonly http: RegistryHttp,
    private readonly plainHttp: ReadonlySet<string>,
    now: () => number = Date.now,
  ) {
    this.auth = new RegistryAuth(http, now);
  }

  async close(): Promise<void> {
    await this.http.close();
  }

  async resolve(target: RepositoryTarget, reference: string, credentials: readonly Credential[], deadline: number): Promise<ManifestDescriptor> {
    const endpoint = endpointFor(target.domain, this.plainHttp);
    const what = `manifest ${target.domain}/${target.path}${reference.includes(':') ? '@' : ':'}${reference}`;
    const url = manifestUrl(endpoint, target.path, reference);
    const head = await this.call(endpoint, target, credentials, deadline, what, (authorization) => ({
      method: 'HEAD', url, authorization, headers: { accept: MANIFEST_ACCEPT }, maxBodyBytes: 0, followRedirects: true,
    }));
    if (head.status === 200) {
      const digest = headerOf(head, 'docker-content-digest');
      const mediaType = bareMediaType(headerOf(head, 'content-type'));
      if (digest && DIGEST_PATTERN.test(digest) && mediaType) return { digest, mediaType };
    } else if (head.status !== 405 && head.status !== 501) {
      throw statusError(head.status, endpoint.domain, what, retryAfterOf(head));
    }
    // No usable header (ECR, Artifactory, older Quay) or no HEAD: GET and hash the exact body bytes.
    const get = await this.call(endpoint, target, credentials, deadline, what, (authorization) => ({
      method: 'GET', url, authorization, headers: { accept: MANIFEST_ACCEPT }, maxBodyBytes: MAX_MANIFEST_BYTES, followRedirects: true,
    }));
    if (get.status !== 200) throw statusError(get.status, endpoint.domain, what, retryAfterOf(get));
    const digest = sha256Digest(get.body);
    if (DIGEST_PATTERN.test(reference)) verify(get.body, reference, endpoint.domain);
    return { digest: DIGEST_PATTERN.test(reference) ? reference : digest, mediaType: mediaTypeOf(get) };
  }

  async fetchManifest(target: RepositoryTarget, digest: string, credentials: readonly Credential[], deadline: number): Promise<{ mediaType: string; body: Buffer }> {
    const endpoint = endpointFor(target.domain, this.plainHttp);
    const what = `manifest ${target.domain}/${target.path}@${digest}`;
    const url = manifestUrl(endpoint, target.path, digest);
    const res = await this.call(endpoint, target, credentials, deadline, what, (authorization) => ({
      method: 'GET', url, authorization, headers: { accept: MANIFEST_ACCEPT }, maxBodyBytes: MAX_MANIFEST_BYTES, followRedirects: true,
    }));
    if (res.status !== 200) throw statusError(res.status, endpoint.domain, what, retryAfterOf(res));
    verify(res.body, digest, endpoint.domain);
    return { mediaType: mediaTypeOf(res), body: res.body };
  }

  async fetchBlob(target: RepositoryTarget, digest: string, credentials: readonly Credential[], deadline: number, maxBytes: number): Promise<Buffer> {
    const endpoint = endpointFor(target.domain, this.plainHttp);
    const what = `blob ${target.domain}/${target.path}@${digest}`;
    const url = blobUrl(endpoint, target.path, digest);
    const res = await this.call(endpoint, target, credentials, deadline, what, (authorization) => ({
      method: 'GET', url, authorization, maxBodyBytes: maxBytes, followRedirects: true,
    }));
    if (res.status !== 200) throw statusError(res.status, endpoint.domain, what, retryAfterOf(res));
    verify(res.body, digest, endpoint.domain);
    return res.body;
  }

  /**
   * One request with authentication: credentials sent up front when the registry's scheme is known,
   * one retry after a 401 challenge, then the next candidate credential. 401/403 for every candidate is
   * RegistryUnauthorized; other statuses are returned for the caller to judge.
   */
  private async call(
    endpoint: RegistryEndpoint,
    target: RepositoryTarget,
    credentials: readonly Credential[],
    deadline: number,
    what: string,
    build: (authorization: string | undefined) => Omit<HttpRequest, 'deadline' | 'registry'>,
  ): Promise<HttpResponse> {
    const send = (authorization: string | undefined): Promise<HttpResponse> =>
      this.http.send({ ...build(authorization), deadline, registry: endpoint.origin });
    const candidates: (Credential | undefined)[] = credentials.length > 0 ? [...credentials] : [undefined];
    let refusal: ApiError | undefined;
    for (const credential of candidates) {
      const ctx: AuthContext = { endpoint, scope: `repository:${target.path}:pull`, credential, deadline };
      try {
        let authorization = await this.auth.preemptive(ctx);
        let res = await send(authorization);
        if (res.status === 401) {
          const next = await this.auth.answerChallenge(res.headers['www-authenticate'], ctx, authorization);
          if (next !== undefined) {
            authorization = next;
            res = await send(authorization);
          }
        }
        if (res.status !== 401 && res.status !== 403) return res;
        refusal = statusError(res.status, endpoint.domain, what);
      } catch (err) {
        if (err instanceof ApiError && err.code === ErrorCode.RegistryUnauthorized) {
          refusal = err;
          continue;
        }
        throw err;
      }
    }
    throw refusal ?? new ApiError(ErrorCode.RegistryUnauthorized, `registry ${endpoint.domain} refused access to ${what}`);
  }
}

function headerOf(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function retryAfterOf(res: HttpResponse): number | undefined {
  return parseRetryAfter(res.headers['retry-after']);
}

/** Content-Type, or the manifest's own mediaType field when the header is missing or generic. */
function mediaTypeOf(res: HttpResponse): string {
  const header = bareMediaType(headerOf(res, 'content-type'));
  if (header && header !== 'application/json' && header !== 'application/octet-stream') return header;
  try {
    const mediaType = (JSON.parse(res.body.toString('utf8')) as { mediaType?: unknown }).mediaType;
    if (typeof mediaType === 'string' && mediaType) return mediaType;
  } catch {
    // fall through to the header
  }
  return header || 'application/octet-stream';
}

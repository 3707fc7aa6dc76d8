/**
 * Pushes test images and multi-platform indexes into a registry over the distribution HTTP API (blob
 * uploads + manifest PUTs), as a registry client would. Every image gets distinct content from `seed`.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export interface PlatformSpec {
  os: string;
  architecture: string;
  variant?: string;
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';

export const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export class RegistryPusher {
  constructor(
    private readonly baseUrl: string,
    /** Authorization header for a repository (Basic, or a pushing Bearer token). */
    private readonly authorization?: (name: string) => string,
  ) {}

  private headers(name: string, extra: Record<string, string> = {}): Record<string, string> {
    const auth = this.authorization?.(name);
    return auth ? { ...extra, authorization: auth } : extra;
  }

  async pushBlob(name: string, bytes: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = sha256(bytes);
    const start = await fetch(`${this.baseUrl}/v2/${name}/blobs/uploads/`, { method: 'POST', headers: this.headers(name) });
    await start.arrayBuffer();
    if (start.status !== 202) throw new Error(`blob upload start failed: ${start.status}`);
    const location = new URL(start.headers.get('location') ?? '', this.baseUrl);
    location.searchParams.set('digest', digest);
    const put = await fetch(location, {
      method: 'PUT',
      headers: this.headers(name, { 'content-type': 'application/octet-stream' }),
      body: bytes,
    });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`blob upload failed: ${put.status}`);
    return { mediaType, digest, size: bytes.length };
  }

  async pushManifest(name: string, reference: string, mediaType: string, body: Buffer): Promise<Descriptor> {
    const res = await fetch(`${this.baseUrl}/v2/${name}/manifests/${reference}`, {
      method: 'PUT',
      headers: this.headers(name, { 'content-type': mediaType }),
      body,
    });
    const text = await res.text();
    if (res.status !== 201) throw new Error(`manifest push failed: ${res.status} ${text}`);
    return { mediaType, digest: sha256(body), size: body.length };
  }

  /** A single-platform image (config + one layer); `tag` null pushes it by digest only. */
  async pushImage(name: string, tag: string | null, platform: PlatformSpec = { os: 'linux', architecture: 'amd64' }, mediaType = OCI_MANIFEST): Promise<Descriptor> {
    const layer = await this.pushBlob(name, randomBytes(64), mediaType === OCI_MANIFEST ? 'application/vnd.oci.image.layer.v1.tar' : 'application/vnd.docker.image.rootfs.diff.tar');
    const config = Buffer.from(
      JSON.stringify({ ...platform, created: new Date().toISOString(), rootfs: { type: 'layers', diff_ids: [layer.digest] }, config: {} }),
    );
    const configDesc = await this.pushBlob(name, config, mediaType === OCI_MANIFEST ? 'application/vnd.oci.image.config.v1+json' : 'application/vnd.docker.container.image.v1+json');
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config: configDesc, layers: [layer] }));
    const desc = await this.pushManifest(name, tag ?? sha256(manifest), mediaType, manifest);
    return desc;
  }

  /**
   * A multi-platform index: one image per platform, plus (optionally) an attestation manifest entry
   * with platform unknown/unknown, as BuildKit writes them.
   */
  async pushIndex(name: string, tag: string, platforms: PlatformSpec[], options: { attestation?: boolean; mediaType?: string } = {}) {
    const mediaType = options.mediaType ?? OCI_INDEX;
    const childType = mediaType === OCI_INDEX ? OCI_MANIFEST : DOCKER_MANIFEST;
    const children: { platform: PlatformSpec; descriptor: Descriptor }[] = [];
    for (const platform of platforms) children.push({ platform, descriptor: await this.pushImage(name, null, platform, childType) });
    const entries: Record<string, unknown>[] = children.map((c) => ({ ...c.descriptor, platform: c.platform }));
    if (options.attestation) {
      const statement = await this.pushBlob(name, Buffer.from('{"_type":"https://in-toto.io/Statement/v0.1"}'), 'application/vnd.in-toto+json');
      const config = await this.pushBlob(name, Buffer.from('{}'), 'application/vnd.oci.image.config.v1+json');
      const att = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers: [statement] }));
      const attDesc = await this.pushManifest(name, sha256(att), OCI_MANIFEST, att);
      // Listed first on purpose: a naive "first entry" choice would pick the attestation.
      entries.unshift({
        ...attDesc,
        platform: { os: 'unknown', architecture: 'unknown' },
        annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': children[0]?.descriptor.digest },
      });
    }
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, manifests: entries }));
    const descriptor = await this.pushManifest(name, tag, mediaType, index);
    return { descriptor, children };
  }

  /** What the registry itself says a reference's digest is (HEAD with the full Accept set). */
  async headDigest(name: string, reference: string): Promise<{ digest: string | null; mediaType: string | null; status: number }> {
    const res = await fetch(`${this.baseUrl}/v2/${name}/manifests/${reference}`, {
      method: 'HEAD',
      headers: this.headers(name, { accept: [OCI_INDEX, DOCKER_LIST, OCI_MANIFEST, DOCKER_MANIFEST].join(', ') }),
    });
    return { digest: res.headers.get('docker-content-digest'), mediaType: res.headers.get('content-type'), status: res.status };
  }
}

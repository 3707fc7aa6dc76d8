/**
 * Manifest facts (pure): the Accept set, which media types are indexes, platform strings and the
 * choice of an index entry for a platform.
 */

export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const;

/**
 * Every type a runtime accepts. Leaving one out changes the answer: without the Docker v2 type some
 * registries convert to schema 1 (another digest); without the index types a tag resolves to one
 * platform's manifest; without the OCI types some registries answer 404.
 */
export const MANIFEST_ACCEPT = [
  MediaType.OciIndex,
  MediaType.DockerManifestList,
  MediaType.OciManifest,
  MediaType.DockerManifest,
].join(', ');

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.OciIndex || mediaType === MediaType.DockerManifestList;
}

/** `Content-Type` without parameters. */
export function bareMediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export const DIGEST_PATTERN = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

const PLATFORM_PART = /^[a-z0-9][a-z0-9._-]*$/;

/** Parses `os/architecture[/variant]`; null when malformed. */
export function parsePlatform(text: string): Platform | null {
  const parts = text.trim().toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || !parts.every((p) => PLATFORM_PART.test(p))) return null;
  const [os, architecture, variant] = parts;
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return p.variant ? `${p.os}/${p.architecture}/${p.variant}` : `${p.os}/${p.architecture}`;
}

/** containerd's normalisation: architecture aliases and the default variants of arm and arm64. */
export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  let architecture = p.architecture.toLowerCase();
  let variant = p.variant?.toLowerCase();
  if (architecture === 'x86_64' || architecture === 'x86-64') architecture = 'amd64';
  if (architecture === 'aarch64') architecture = 'arm64';
  if (architecture === 'arm64' && (variant === undefined || variant === '8')) variant = 'v8';
  if (architecture === 'arm' && (variant === undefined || variant === '7')) variant = 'v7';
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function platformsMatch(wanted: Platform, offered: Platform): boolean {
  const a = normalizePlatform(wanted);
  const b = normalizePlatform(offered);
  return a.os === b.os && a.architecture === b.architecture && a.variant === b.variant;
}

export interface IndexEntry {
  digest: string;
  mediaType: string;
  platform: Platform | null;
  /** An attestation (in-toto, SBOM) rather than a runnable image. */
  attestation: boolean;
}

/** Reads the entries of an index document; throws on a body that is not an index. */
export function readIndex(body: unknown): IndexEntry[] {
  const manifests = (body as { manifests?: unknown })?.manifests;
  if (!Array.isArray(manifests)) throw new Error('index has no manifests list');
  return manifests.map((m: Record<string, unknown>) => {
    const p = m.platform as Record<string, unknown> | undefined;
    const platform =
      p && typeof p.os === 'string' && typeof p.architecture === 'string'
        ? { os: p.os, architecture: p.architecture, ...(typeof p.variant === 'string' && p.variant ? { variant: p.variant } : {}) }
        : null;
    const annotations = (m.annotations ?? {}) as Record<string, unknown>;
    const attestation =
      (platform?.os === 'unknown' && platform.architecture === 'unknown') ||
      annotations['vnd.docker.reference.type'] === 'attestation-manifest';
    return { digest: String(m.digest ?? ''), mediaType: String(m.mediaType ?? ''), platform, attestation };
  });
}

/** The first runnable entry whose platform matches; attestation entries are skipped. */
export function selectPlatform(entries: readonly IndexEntry[], wanted: Platform): IndexEntry | null {
  return entries.find((e) => !e.attestation && e.platform !== null && platformsMatch(wanted, e.platform)) ?? null;
}

/** The platform of a single-image config blob (`os`, `architecture`, `variant`). */
export function readConfigPlatform(body: unknown): Platform | null {
  const c = body as Record<string, unknown> | null;
  if (!c || typeof c.os !== 'string' || typeof c.architecture !== 'string') return null;
  return typeof c.variant === 'string' && c.variant
    ? { os: c.os, architecture: c.architecture, variant: c.variant }
    : { os: c.os, architecture: c.architecture };
}

/** The config descriptor's digest of a single-image manifest. */
export function readConfigDigest(body: unknown): string | null {
  const digest = (body as { config?: { digest?: unknown } })?.config?.digest;
  return typeof digest === 'string' && DIGEST_PATTERN.test(digest) ? digest : null;
}

/**
 * Platform digests: the entry of an index that matches a platform (attestations skipped), or the
 * platform of a single image read from its config blob. What is read is cached by manifest digest,
 * without expiry (content-addressed data never changes), and fetched once for concurrent callers.
 */
import { ApiError, ErrorCode, ErrorReason } from '../common/errors.js';
import type { ParsedReference } from '../reference/parsed-reference.js';
import type { Credential } from '../common/docker-credentials.js';
import type { ContentRecord, DigestCache, RefRecord } from './digest-cache.js';
import {
  formatPlatform,
  isIndexMediaType,
  type Platform,
  platformsMatch,
  readConfigDigest,
  readConfigPlatform,
  readIndex,
  selectPlatform,
} from './manifest.js';
import type { RegistryClient, RepositoryTarget } from './registry-client.js';
import { SingleFlight } from './single-flight.js';

export interface PlatformDigest {
  platform: string;
  digest: string;
  mediaType: string;
}

const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export class PlatformDigests {
  private readonly flights = new SingleFlight<ContentRecord>();

  constructor(
    private readonly cache: DigestCache,
    private readonly client: RegistryClient,
    private readonly timeoutMs: number,
    private readonly now: () => number,
  ) {}

  /** The platform's manifest: from the index (cached by digest, immutable) or the single image's config. */
  async resolve(
    parsed: ParsedReference,
    identity: string,
    record: Extract<RefRecord, { kind: 'digest' }>,
    platform: Platform,
    credentials: readonly Credential[],
    signal?: AbortSignal,
  ): Promise<PlatformDigest> {
    const digest = parsed.digest ?? record.digest;
    const target: RepositoryTarget = { domain: parsed.domain, path: parsed.path };
    const content =
      (await this.cache.getContent(digest)) ??
      (await this.flights.run(`${identity}|${digest}`, () => this.fetchContent(target, digest, record.mediaType, credentials), signal));
    const wanted = formatPlatform(platform);
    if (content.kind === 'index') {
      const entry = selectPlatform(content.entries, platform);
      if (!entry?.platform) throw new ApiError(ErrorCode.ManifestUnknown, `${parsed.pullReference} has no image for platform ${wanted}`, undefined, ErrorReason.PlatformMissing);
      return { platform: formatPlatform(entry.platform), digest: entry.digest, mediaType: entry.mediaType };
    }
    if (content.platform && platformsMatch(platform, content.platform)) {
      return { platform: formatPlatform(content.platform), digest, mediaType: record.mediaType };
    }
    const offered = content.platform ? formatPlatform(content.platform) : 'an unknown platform';
    throw new ApiError(ErrorCode.ManifestUnknown, `${parsed.pullReference} is a single-platform image for ${offered}, not ${wanted}`, undefined, ErrorReason.PlatformMissing);
  }

  private async fetchContent(target: RepositoryTarget, digest: string, mediaType: string, credentials: readonly Credential[]): Promise<ContentRecord> {
    const { cache, client, timeoutMs } = this;
    const again = await cache.getContent(digest);
    if (again) return again;
    const deadline = this.now() + timeoutMs;
    const manifest = await client.fetchManifest(target, digest, credentials, deadline);
    const body = parseJson(manifest.body);
    let record: ContentRecord;
    if (isIndexMediaType(manifest.mediaType) || isIndexMediaType(mediaType)) {
      try {
        record = { kind: 'index', entries: readIndex(body) };
      } catch {
        throw new ApiError(ErrorCode.RegistryUnavailable, `registry ${target.domain} served an index without a manifests list`);
      }
    } else {
      const configDigest = readConfigDigest(body);
      const config = configDigest ? parseJson(await client.fetchBlob(target, configDigest, credentials, deadline, MAX_CONFIG_BYTES)) : null;
      record = { kind: 'image', platform: readConfigPlatform(config) };
    }
    await cache.setContent(digest, record);
    return record;
  }
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ApiError(ErrorCode.RegistryUnavailable, 'registry served a manifest that is not JSON');
  }
}

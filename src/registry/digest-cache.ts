/**
 * The digest cache port. Two tiers, as the protocol's facts ask:
 * - ref records (tag or digest reference → manifest digest, or a definite negative answer): mutable,
 *   kept for TTL + stale window, keyed by credential identity so callers never share private answers;
 * - content records keyed by manifest digest (an index's entries, an image's platform): immutable,
 *   no expiry, bounded by size.
 * Implementations never throw from lookups: a broken shared store degrades to the local one.
 */
import type { ErrorCode, ErrorReason } from '../common/errors.js';
import type { IndexEntry, Platform } from './manifest.js';

export type RefRecord =
  | {
      kind: 'digest';
      digest: string;
      mediaType: string;
      /** Epoch milliseconds. */
      resolvedAt: number;
      /** Fresh until (epoch ms); after that the record is stale. */
      expiresAt: number;
      /** Usable as a stale answer (registry failing) until (epoch ms). */
      staleUntil: number;
    }
  | {
      kind: 'negative';
      code: ErrorCode;
      message: string;
      /** The error's typed reason (ApiError.reason), so a cached answer branches like a fresh one. */
      reason?: ErrorReason;
      resolvedAt: number;
      expiresAt: number;
    };

export type ContentRecord =
  | { kind: 'index'; entries: IndexEntry[] }
  | { kind: 'image'; platform: Platform | null };

/** A cross-replica lock for one key: `acquired` (release when done), `busy` (another holder), `none` (no shared store). */
export type LockResult = { state: 'acquired'; release: () => Promise<void> } | { state: 'busy' } | { state: 'none' };

export interface CacheHealth {
  backend: 'memory' | 'redis';
  /** False while Redis is unreachable (answers then come from the local cache). */
  sharedAvailable: boolean;
  detail?: string;
}

export interface DigestCache {
  getRef(key: string): Promise<RefRecord | undefined>;
  /** The record this replica holds for the key, without I/O (the hot path of cached lookups); maybe expired. */
  peekRef(key: string): RefRecord | undefined;
  /** Stores a ref record until `until` (epoch ms). */
  setRef(key: string, record: RefRecord, until: number): Promise<void>;
  getContent(digest: string): Promise<ContentRecord | undefined>;
  setContent(digest: string, record: ContentRecord): Promise<void>;
  /** Serialises upstream requests for a key across replicas. */
  lock(key: string, ttlMs: number): Promise<LockResult>;
  health(): CacheHealth;
  /** Local entry counts (for the cache size metric). */
  sizes(): { refs: number; content: number };
  close(): Promise<void>;
}

/** Injection token for the DigestCache implementation. */
export const DIGEST_CACHE = Symbol('DIGEST_CACHE');

/** The ref key: credential identity first, so a caller without access never reads another's answer. */
export function refKey(credentialIdentity: string, name: string, tag: string | null, digest: string | null): string {
  return digest ? `${credentialIdentity}|${name}@${digest}` : `${credentialIdentity}|${name}:${tag ?? 'latest'}`;
}

/** How long a ref record is kept: a digest for TTL + stale window, a negative answer until it expires. */
export function keepUntil(record: RefRecord): number {
  return record.kind === 'digest' ? Math.max(record.staleUntil, record.expiresAt) : record.expiresAt;
}

/** The in-memory DigestCache: the default, and the local tier of the Redis cache. */
import { LruMap } from '../common/lru.js';
import type { CacheHealth, ContentRecord, DigestCache, LockResult, RefRecord } from './digest-cache.js';

export interface MemoryCacheOptions {
  maxRefs?: number;
  maxContent?: number;
  now?: () => number;
}

export class MemoryDigestCache implements DigestCache {
  private readonly refs: LruMap<string, { record: RefRecord; until: number }>;
  private readonly content: LruMap<string, ContentRecord>;
  private readonly now: () => number;

  constructor(options: MemoryCacheOptions = {}) {
    this.refs = new LruMap(options.maxRefs ?? 50_000);
    this.content = new LruMap(options.maxContent ?? 20_000);
    this.now = options.now ?? Date.now;
  }

  /** Synchronous read used on the hot path (no promise allocation). */
  peekRef(key: string): RefRecord | undefined {
    const hit = this.refs.get(key);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.refs.delete(key);
      return undefined;
    }
    return hit.record;
  }

  async getRef(key: string): Promise<RefRecord | undefined> {
    return this.peekRef(key);
  }

  putRef(key: string, record: RefRecord, until: number): void {
    const now = this.now();
    if (until > now) this.refs.set(key, { record, until });
    // Expired answers (short-lived negative ones above all) are dropped as they are passed, not kept until the
    // size bound pushes them out: two entries looked at per insert sweep the whole map as fast as it fills.
    this.refs.sweep((entry) => entry.until <= now, 2);
  }

  async setRef(key: string, record: RefRecord, until: number): Promise<void> {
    this.putRef(key, record, until);
  }

  peekContent(digest: string): ContentRecord | undefined {
    return this.content.get(digest);
  }

  async getContent(digest: string): Promise<ContentRecord | undefined> {
    return this.content.get(digest);
  }

  putContent(digest: string, record: ContentRecord): void {
    this.content.set(digest, record);
  }

  async setContent(digest: string, record: ContentRecord): Promise<void> {
    this.content.set(digest, record);
  }

  async lock(): Promise<LockResult> {
    // One process: in-process coalescing in the DigestService already serialises lookups.
    return { state: 'none' };
  }

  health(): CacheHealth {
    return { backend: 'memory', sharedAvailable: true };
  }

  sizes(): { refs: number; content: number } {
    return { refs: this.refs.size, content: this.content.size };
  }

  async close(): Promise<void> {
    this.refs.clear();
    this.content.clear();
  }
}

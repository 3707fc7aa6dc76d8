/**
 * The Redis DigestCache, shared by all replicas so lookups per tag per TTL stay constant however many
 * replicas run. A local MemoryDigestCache sits in front (hot path, and the fallback): every Redis failure
 * is swallowed, reported through `health()`, and answered from the local tier instead.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { CacheHealth, ContentRecord, DigestCache, LockResult, RefRecord } from './digest-cache.js';
import { keepUntil } from './digest-cache.js';
import type { MemoryDigestCache } from './memory-digest-cache.js';

export interface RedisCacheOptions {
  /** Key prefix, so several services (or tests) can share one Redis. */
  prefix?: string;
  /** Content records are immutable; Redis still gets an expiry so it stays bounded without maxmemory. */
  contentTtlSeconds?: number;
  now?: () => number;
  onError?: (message: string) => void;
}

/** Deletes the lock only when it still holds our token (another holder may have taken over). */
const RELEASE_SCRIPT = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export class RedisDigestCache implements DigestCache {
  private readonly prefix: string;
  private readonly contentTtlSeconds: number;
  private readonly now: () => number;
  private lastError: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly local: MemoryDigestCache,
    private readonly options: RedisCacheOptions = {},
  ) {
    this.prefix = options.prefix ?? 'image-policy:v1:';
    this.contentTtlSeconds = options.contentTtlSeconds ?? 30 * 86_400;
    this.now = options.now ?? Date.now;
    redis.on('error', (err: Error) => this.failed(err));
    redis.on('ready', () => {
      this.lastError = undefined;
    });
  }

  /** A client tuned to fail fast: no offline queue, short command timeout, endless background reconnects. */
  static createClient(url: string, commandTimeoutMs = 300): Redis {
    return new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: commandTimeoutMs,
      connectTimeout: 1_000,
      retryStrategy: (times) => Math.min(50 * 2 ** times, 2_000),
      lazyConnect: false,
    });
  }

  private get available(): boolean {
    return this.redis.status === 'ready';
  }

  private failed(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (message !== this.lastError) this.options.onError?.(message);
    this.lastError = message;
  }

  /** Runs a Redis command; undefined when Redis is unavailable or the command fails. */
  private async tryRedis<T>(command: () => Promise<T>): Promise<T | undefined> {
    if (!this.available) return undefined;
    try {
      return await command();
    } catch (err) {
      this.failed(err);
      return undefined;
    }
  }

  peekRef(key: string): RefRecord | undefined {
    return this.local.peekRef(key);
  }

  async getRef(key: string): Promise<RefRecord | undefined> {
    const local = this.local.peekRef(key);
    if (local && local.expiresAt > this.now()) return local;
    const raw = await this.tryRedis(() => this.redis.get(`${this.prefix}ref:${key}`));
    if (!raw) return local;
    const shared = parse<RefRecord>(raw);
    if (!shared) return local;
    if (local && local.resolvedAt >= shared.resolvedAt) return local;
    this.local.putRef(key, shared, keepUntil(shared));
    return shared;
  }

  async setRef(key: string, record: RefRecord, until: number): Promise<void> {
    this.local.putRef(key, record, until);
    const ttlMs = Math.max(1, Math.round(until - this.now()));
    await this.tryRedis(() => this.redis.set(`${this.prefix}ref:${key}`, JSON.stringify(record), 'PX', ttlMs));
  }

  async getContent(digest: string): Promise<ContentRecord | undefined> {
    const local = this.local.peekContent(digest);
    if (local) return local;
    const raw = await this.tryRedis(() => this.redis.get(`${this.prefix}content:${digest}`));
    const shared = raw ? parse<ContentRecord>(raw) : undefined;
    if (shared) this.local.putContent(digest, shared);
    return shared;
  }

  async setContent(digest: string, record: ContentRecord): Promise<void> {
    this.local.putContent(digest, record);
    await this.tryRedis(() => this.redis.set(`${this.prefix}content:${digest}`, JSON.stringify(record), 'EX', this.contentTtlSeconds));
  }

  async lock(key: string, ttlMs: number): Promise<LockResult> {
    const lockKey = `${this.prefix}lock:${key}`;
    const token = randomUUID();
    const answer = await this.tryRedis(() => this.redis.set(lockKey, token, 'PX', ttlMs, 'NX'));
    if (answer === undefined) return { state: 'none' };
    if (answer !== 'OK') return { state: 'busy' };
    return {
      state: 'acquired',
      release: async () => {
        await this.tryRedis(() => this.redis.eval(RELEASE_SCRIPT, 1, lockKey, token));
      },
    };
  }

  health(): CacheHealth {
    return this.available
      ? { backend: 'redis', sharedAvailable: true }
      : { backend: 'redis', sharedAvailable: false, detail: 'Redis unreachable; answering from the local cache' };
  }

  sizes(): { refs: number; content: number } {
    return this.local.sizes();
  }

  async close(): Promise<void> {
    this.redis.disconnect();
    await this.local.close();
  }
}

function parse<T>(raw: string): T | undefined {
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}

/**
 * Bearer tokens cached per (realm, service, scope, credential identity) until shortly before expiry, and
 * fetched once when many lookups need the same token at once. Not caching them is a known cause of
 * registry throttling.
 */
import { LruMap } from '../common/lru.js';

export interface CachedToken {
  token: string;
  /** Epoch ms after which the token is not used any more. */
  usableUntil: number;
}

/** Seconds a token lives when the answer says nothing (the distribution token spec's default). */
export const DEFAULT_TOKEN_SECONDS = 60;

/** When to stop using a token: 10 % of its lifetime (at most 30 s) before it expires. */
export function tokenUsableUntil(issuedAtMs: number, expiresInSeconds: number | undefined): number {
  const lifetimeMs = Math.max(1, expiresInSeconds ?? DEFAULT_TOKEN_SECONDS) * 1_000;
  const margin = Math.min(30_000, lifetimeMs * 0.1);
  return issuedAtMs + lifetimeMs - margin;
}

export function tokenKey(realm: string, service: string, scope: string, credentialIdentity: string): string {
  return `${realm}\n${service}\n${scope}\n${credentialIdentity}`;
}

export class TokenCache {
  private readonly tokens = new LruMap<string, CachedToken>(10_000);
  private readonly inflight = new Map<string, Promise<CachedToken>>();

  constructor(private readonly now: () => number = Date.now) {}

  get(key: string): string | undefined {
    const hit = this.tokens.get(key);
    if (!hit) return undefined;
    if (hit.usableUntil <= this.now()) {
      this.tokens.delete(key);
      return undefined;
    }
    return hit.token;
  }

  /** Returns the cached token or runs `fetch` once for all concurrent callers. */
  async getOrFetch(key: string, fetch: () => Promise<CachedToken>): Promise<string> {
    const cached = this.get(key);
    if (cached !== undefined) return cached;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = fetch()
        .then((t) => {
          this.tokens.set(key, t);
          return t;
        })
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return (await pending).token;
  }

  invalidate(key: string): void {
    this.tokens.delete(key);
  }
}

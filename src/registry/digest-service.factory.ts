/**
 * Builds a DigestService from the validated configuration: the one place that chooses the cache
 * (Redis when REDIS_URL is set, memory otherwise) and wires the egress guard into the HTTP client.
 * Used by the Nest module and directly by tests.
 */
import { type AppConfig, ConfigError } from '../config/config.js';
import { CircuitBreakers } from './circuit-breaker.js';
import { loadNodeKeyring } from './credential-file.js';
import { type IdentityKey, type Keyring, randomIdentityKey } from '../common/docker-credentials.js';
import type { DigestCache } from './digest-cache.js';
import { DigestService } from './digest.service.js';
import type { Resolver } from './egress-connector.js';
import { EgressPolicy } from './egress-guard.js';
import { MemoryDigestCache } from './memory-digest-cache.js';
import { RedisDigestCache } from './redis-digest-cache.js';
import { HttpRegistryClient } from './registry-client.js';
import { plainHttpSet } from './registry-endpoint.js';
import { RegistryHttp } from './registry-http.js';
import { recordUpstream } from './registry-metrics.js';

export type DigestConfig = Pick<
  AppConfig,
  'redisUrl' | 'cacheKeySecret' | 'registryAuthFile' | 'registryPlainHttp' | 'registryAllowHosts' | 'digestCacheTtlSeconds' | 'digestStaleIfErrorSeconds' | 'registryTimeoutMs'
  | 'registryCircuitThreshold' | 'registryCircuitOpenMs'
>;

export interface DigestServiceDeps {
  /** Replaces DNS resolution (tests). */
  resolver?: Resolver;
  /** Replaces the cache chosen from the configuration. */
  cache?: DigestCache;
  keyring?: Keyring;
  /** Key prefix in Redis (tests share one Redis). */
  redisPrefix?: string;
  onCacheError?: (message: string) => void;
  now?: () => number;
}

/**
 * The HMAC key of credential identities (cache, lock and token keys): CACHE_KEY_SECRET, shared by the replicas so
 * their Redis keys agree. Without Redis nothing leaves the process, so a random key per process does. A plain hash
 * is never used: it would let whoever reads Redis test password guesses offline (issue 11, item 5).
 */
function identityKeyOf(config: DigestConfig): IdentityKey {
  if (config.cacheKeySecret !== null) return config.cacheKeySecret;
  // loadConfig refuses this too; a hand-built configuration must not fall back to a random key (replicas would
  // stop sharing answers without a word).
  if (config.redisUrl !== null) throw new ConfigError('CACHE_KEY_SECRET', 'must be set when REDIS_URL is set');
  return randomIdentityKey();
}

export function createDigestService(config: DigestConfig, deps: DigestServiceDeps = {}): DigestService {
  const now = deps.now ?? Date.now;
  const identityKey = identityKeyOf(config);
  // Plain-http registries are operator-listed, so they pass the guard too.
  const policy = new EgressPolicy([...config.registryAllowHosts, ...config.registryPlainHttp]);
  const plainHttp = plainHttpSet(config.registryPlainHttp);
  const breakers = new CircuitBreakers({ threshold: config.registryCircuitThreshold, openMs: config.registryCircuitOpenMs, now });
  const http = new RegistryHttp({ policy, plainHttp, timeoutMs: config.registryTimeoutMs, resolver: deps.resolver, observe: recordUpstream, breakers, now });
  const cache =
    deps.cache ??
    (config.redisUrl
      ? new RedisDigestCache(RedisDigestCache.createClient(config.redisUrl), new MemoryDigestCache({ now }), {
          now,
          prefix: deps.redisPrefix,
          onError: deps.onCacheError,
        })
      : new MemoryDigestCache({ now }));
  return new DigestService({
    cache,
    client: new HttpRegistryClient(http, plainHttp, now),
    nodeKeyring: deps.keyring ?? loadNodeKeyring(config.registryAuthFile, identityKey),
    identityKey,
    policy,
    plainHttp,
    ttlSeconds: config.digestCacheTtlSeconds,
    staleIfErrorSeconds: config.digestStaleIfErrorSeconds,
    timeoutMs: config.registryTimeoutMs,
    now,
  });
}

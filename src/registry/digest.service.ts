/**
 * The digest lookup: image reference (+ optional platform and pull secrets) → digest answer.
 * Order of work: parse → egress check → credentials → fresh cache → one coalesced upstream lookup
 * (behind a cross-replica lock when the cache is shared) → cache → answer. When the registry fails,
 * the last known digest answers within the stale window, marked stale.
 */
import { ApiError, type ErrorBody, ErrorCode } from '../common/errors.js';
import { LruMap } from '../common/lru.js';
import { parseReference } from '../reference/parse.js';
import type { ParsedReference } from '../reference/parsed-reference.js';
import {
  type Credential,
  CredentialsError,
  credentialSetIdentity,
  type IdentityKey,
  Keyring,
  lookupCredentials,
  parseDockerConfig,
  pullSecretsIdentity,
} from '../common/docker-credentials.js';
import { type DigestCache, keepUntil, type RefRecord, refKey } from './digest-cache.js';
import { type EgressPolicy, preflightEgress } from './egress-guard.js';
import { type Platform, parsePlatform } from './manifest.js';
import { type PlatformDigest, PlatformDigests } from './platform-digests.js';
import { endpointFor } from './registry-endpoint.js';
import { isDefinite, isTransient } from './registry-errors.js';
import type { RegistryClient, RepositoryTarget } from './registry-client.js';
import { recordCacheRead, recordLookup, trackCacheSize } from './registry-metrics.js';
import { SingleFlight } from './single-flight.js';

export type { PlatformDigest } from './platform-digests.js';

/** Where a digest answer came from: the registry now, or the cache (fresh, or stale while the registry fails). */
export const DIGEST_SOURCES = ['registry', 'cache'] as const;
export type DigestSource = (typeof DIGEST_SOURCES)[number];

/** The public answer (contract field names), plus `reference`: what was looked up. */
export interface DigestAnswer {
  image: string;
  /** The normalised reference that was looked up (`docker.io/library/nginx:latest`). */
  reference: string;
  digest: string;
  mediaType: string;
  platform: PlatformDigest | null;
  source: DigestSource;
  stale: boolean;
  resolvedAt: string;
  expiresAt: string;
}

export type DigestOutcome = ({ ok: true } & DigestAnswer) | { ok: false; input: string; error: ErrorBody };

export interface PullSecretInput {
  dockerconfigjson: string;
}

export interface ResolveOptions {
  /** `os/architecture[/variant]` */
  platform?: string | null;
  pullSecrets?: readonly PullSecretInput[];
  /** The caller giving up stops its wait only; the shared lookup goes on for the others. */
  signal?: AbortSignal;
}

export interface DigestServiceOptions {
  cache: DigestCache;
  client: RegistryClient;
  /** Node credentials (REGISTRY_AUTH_FILE), parsed with `identityKey`. */
  nodeKeyring: Keyring;
  /** Keys the credential part of every cache, lock and token key (CACHE_KEY_SECRET; see credentialIdentity). */
  identityKey: IdentityKey;
  policy: EgressPolicy;
  plainHttp: ReadonlySet<string>;
  ttlSeconds: number;
  staleIfErrorSeconds: number;
  timeoutMs: number;
  /** Lifetime of definite negative answers (404, 401/403); default min(TTL, 10 s). */
  negativeTtlSeconds?: number;
  /** Images resolved at once by `resolveMany`. */
  batchConcurrency?: number;
  now?: () => number;
}

/** See DigestService.hotAnswers. */
interface HotAnswer {
  key: string;
  record: Extract<RefRecord, { kind: 'digest' }>;
  answer: Readonly<DigestAnswer>;
}
/** The longest image kept in hotAnswers (a valid reference is far shorter): hostile inputs cannot grow it. */
const HOT_IMAGE_MAX = 512;

type RefOutcome = { record: Extract<RefRecord, { kind: 'digest' }>; source: DigestSource; stale: boolean };

export class DigestService {
  private readonly refFlights = new SingleFlight<RefOutcome>();
  private readonly platforms: PlatformDigests;
  /** Egress refusal message per reference domain ('' = allowed so far; names are checked again at connect). */
  private readonly egressVerdicts = new LruMap<string, string>(10_000);
  /**
   * cachedAnswer's answers by image: the same frozen object while the cache holds the same (replaced, never
   * mutated) record unexpired, so a repeated question skips parsing and credential matching, and the REST
   * route writes the answer's kept serialised form (DirectRoute.sharedAnswers).
   */
  private readonly hotAnswers = new LruMap<string, HotAnswer>(4_096);
  private readonly now: () => number;
  private readonly untrack: () => void;

  constructor(private readonly options: DigestServiceOptions) {
    this.now = options.now ?? Date.now;
    this.platforms = new PlatformDigests(options.cache, options.client, options.timeoutMs, this.now);
    this.untrack = trackCacheSize(() => options.cache.sizes());
  }

  health(): ReturnType<DigestCache['health']> {
    return this.options.cache.health();
  }

  async close(): Promise<void> {
    this.untrack();
    await this.options.client.close();
    await this.options.cache.close();
  }

  /** Parses pull secrets once per request; an invalid one is the caller's error (never quoted). */
  keyringOf(pullSecrets: readonly PullSecretInput[] | undefined): Keyring[] {
    if (!pullSecrets || pullSecrets.length === 0) return [this.options.nodeKeyring];
    try {
      const configs = pullSecrets.map((s, i) => parseDockerConfig(s.dockerconfigjson, `pullSecrets[${i}].dockerconfigjson`, this.options.identityKey));
      return [new Keyring(configs), this.options.nodeKeyring];
    } catch (err) {
      if (err instanceof CredentialsError) throw new ApiError(ErrorCode.InvalidRequest, err.message);
      throw err;
    }
  }

  /** A key for a request's pull secrets as given (keyed like credential identities; never their content). */
  pullSecretsKey(pullSecrets: readonly PullSecretInput[]): string {
    return pullSecretsIdentity(pullSecrets.map((s) => s.dockerconfigjson), this.options.identityKey);
  }

  async resolve(image: string, options: ResolveOptions = {}): Promise<DigestAnswer> {
    return this.resolveWith(image, this.platformOf(options.platform), this.keyringOf(options.pullSecrets), options.signal);
  }

  /** Many images with the same platform and pull secrets; each answer `ok` or its error, in input order. */
  async resolveMany(images: readonly string[], options: ResolveOptions = {}): Promise<DigestOutcome[]> {
    const answers = await this.resolveAll(images, options);
    return answers.map((answer, i) => {
      if (!(answer instanceof Error)) return Object.assign({ ok: true as const }, answer); // a spread costs V8 microseconds per item
      const error = answer instanceof ApiError ? answer : new ApiError(ErrorCode.InternalError, 'Internal error');
      return { ok: false as const, input: images[i], error: error.toBody() };
    });
  }

  /**
   * Many images, a bounded number at a time (a batch must not open thousands of upstream requests);
   * each entry the answer or the error. Invalid platform or pull secrets fail the whole batch.
   */
  async resolveAll(images: readonly string[], options: ResolveOptions = {}): Promise<(DigestAnswer | Error)[]> {
    const platform = this.platformOf(options.platform);
    const keyrings = this.keyringOf(options.pullSecrets);
    const results: (DigestAnswer | Error)[] = new Array(images.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < images.length) {
        const i = next++;
        try {
          results[i] = await this.resolveWith(images[i], platform, keyrings, options.signal);
        } catch (err) {
          results[i] = err instanceof Error ? err : new Error(String(err));
        }
      }
    };
    const workers = Math.min(this.options.batchConcurrency ?? 32, images.length);
    await Promise.all(Array.from({ length: workers }, worker));
    return results;
  }

  private platformOf(text: string | null | undefined): Platform | null {
    if (text === undefined || text === null || text === '') return null;
    const platform = parsePlatform(text);
    if (!platform) throw new ApiError(ErrorCode.InvalidRequest, 'platform must be os/architecture[/variant], e.g. linux/arm64/v8');
    return platform;
  }

  /**
   * The answer from this replica's cache, without a promise, when it holds a fresh digest for the image
   * (no platform asked, the node's credentials): the hot path of GET /v1/digests. Undefined otherwise —
   * also for an invalid or refused image — and then `resolve` gives the answer or the error. A repeated
   * question gets the same frozen answer while its cache record stands (see hotAnswers).
   */
  cachedAnswer(image: string): Readonly<DigestAnswer> | undefined {
    const answer = this.keptAnswer(image) ?? this.freshCachedAnswer(image);
    if (answer !== undefined) {
      recordCacheRead('hit');
      recordLookup('ok', 'cache');
    }
    return answer;
  }

  /** The kept answer to this image, if its cache record still stands unexpired (see hotAnswers). */
  private keptAnswer(image: string): Readonly<DigestAnswer> | undefined {
    const hot = this.hotAnswers.get(image);
    if (hot === undefined || hot.record.expiresAt <= this.now() || this.options.cache.peekRef(hot.key) !== hot.record) return undefined;
    return hot.answer;
  }

  /** A new answer from the cache's fresh record for the image, kept for the next time. */
  private freshCachedAnswer(image: string): Readonly<DigestAnswer> | undefined {
    const parsed = parseReference(image);
    if (!parsed.ok || this.egressRefusal(parsed.reference) !== '') return undefined;
    const { key } = this.lookupOf(parsed.reference, [this.options.nodeKeyring]);
    const record = this.options.cache.peekRef(key);
    if (record === undefined || record.kind !== 'digest' || record.expiresAt <= this.now()) return undefined;
    const answer = Object.freeze(answerOf(image, parsed.reference, record, null, 'cache', false));
    if (image.length <= HOT_IMAGE_MAX) this.hotAnswers.set(image, { key, record, answer });
    return answer;
  }

  private async resolveWith(image: string, platform: Platform | null, keyrings: Keyring[], signal?: AbortSignal): Promise<DigestAnswer> {
    try {
      const parsed = this.parse(image);
      this.assertEgress(parsed);
      const { credentials, identity, target, key, reference } = this.lookupOf(parsed, keyrings);
      const outcome = await this.lookupRef(key, target, reference, credentials, signal);
      const { record } = outcome;
      const platformDigest = platform ? await this.platforms.resolve(parsed, identity, record, platform, credentials, signal) : null;
      recordLookup(outcome.stale ? 'stale' : 'ok', outcome.source);
      return answerOf(image, parsed, record, platformDigest, outcome.source, outcome.stale);
    } catch (err) {
      recordLookup(err instanceof ApiError ? err.code : ErrorCode.InternalError, 'none');
      throw err;
    }
  }

  /** What to ask and under which cache key: the credentials that match the image, and their identity. */
  private lookupOf(parsed: ParsedReference, keyrings: readonly Keyring[]) {
    const credentials = lookupCredentials(parsed.name, keyrings);
    const identity = credentialSetIdentity(credentials, this.options.identityKey);
    return {
      credentials,
      identity,
      target: { domain: parsed.domain, path: parsed.path } satisfies RepositoryTarget,
      key: refKey(identity, parsed.name, parsed.tag, parsed.digest),
      reference: parsed.digest ?? parsed.tag ?? 'latest',
    };
  }

  private parse(image: string): ParsedReference {
    const result = parseReference(image);
    if (!result.ok) throw new ApiError(ErrorCode.InvalidReference, result.error);
    return result.reference;
  }

  /**
   * Refuses user-chosen hosts that are IP literals or blocked names before any cache or socket work.
   * The verdict depends on the domain and the static configuration only, so it is memoised (hot path).
   */
  private assertEgress(parsed: ParsedReference): void {
    const refusal = this.egressRefusal(parsed);
    if (refusal !== '') throw new ApiError(ErrorCode.RegistryNotAllowed, refusal);
  }

  /** Why the guard refuses the image's registry ('' when it does not), memoised per domain. */
  private egressRefusal(parsed: ParsedReference): string {
    let refusal = this.egressVerdicts.get(parsed.domain);
    if (refusal === undefined) {
      const endpoint = endpointFor(parsed.domain, this.options.plainHttp);
      const decision = preflightEgress(endpoint.host, endpoint.port, this.options.policy);
      refusal = decision && !decision.allowed ? decision.reason : '';
      this.egressVerdicts.set(parsed.domain, refusal);
    }
    return refusal;
  }

  private async lookupRef(key: string, target: RepositoryTarget, reference: string, credentials: readonly Credential[], signal?: AbortSignal): Promise<RefOutcome> {
    const cached = await this.options.cache.getRef(key);
    if (cached && cached.expiresAt > this.now()) {
      recordCacheRead('hit');
      return answerFrom(cached, 'cache', false);
    }
    recordCacheRead(cached ? 'stale' : 'miss');
    return this.refFlights.run(key, () => this.refresh(key, target, reference, credentials), signal);
  }

  /** The shared run: re-check the cache, take the cross-replica lock (or wait for its holder), fetch. */
  private async refresh(key: string, target: RepositoryTarget, reference: string, credentials: readonly Credential[]): Promise<RefOutcome> {
    const { cache, timeoutMs } = this.options;
    let previous = await cache.getRef(key);
    if (previous && previous.expiresAt > this.now()) return answerFrom(previous, 'cache', false);
    const lockTtl = timeoutMs + 1_000;
    let lock = await cache.lock(key, lockTtl);
    if (lock.state === 'busy') {
      // Another replica is asking the registry: wait for its answer instead of asking too.
      const giveUpAt = this.now() + lockTtl;
      let pause = 10;
      while (lock.state === 'busy' && this.now() < giveUpAt) {
        await sleep(pause);
        pause = Math.min(pause * 2, 100);
        const shared = await cache.getRef(key);
        if (shared && shared.expiresAt > this.now()) return answerFrom(shared, 'cache', false);
        if (shared) previous = shared;
        lock = await cache.lock(key, lockTtl);
      }
    }
    try {
      // Read again under the lock: another replica may have stored its answer and released the lock
      // between our read above and our lock (seen in CI: two upstream requests for one tag).
      const shared = await cache.getRef(key);
      if (shared && shared.expiresAt > this.now()) return answerFrom(shared, 'cache', false);
      if (shared) previous = shared;
      return await this.fetchRef(key, target, reference, credentials, previous);
    } finally {
      if (lock.state === 'acquired') await lock.release();
    }
  }

  private async fetchRef(
    key: string,
    target: RepositoryTarget,
    reference: string,
    credentials: readonly Credential[],
    previous: RefRecord | undefined,
  ): Promise<RefOutcome> {
    const { cache, client, ttlSeconds, staleIfErrorSeconds, timeoutMs } = this.options;
    try {
      const descriptor = await client.resolve(target, reference, credentials, this.now() + timeoutMs);
      const t = this.now();
      const record: RefRecord = {
        kind: 'digest',
        digest: descriptor.digest,
        mediaType: descriptor.mediaType,
        resolvedAt: t,
        expiresAt: t + ttlSeconds * 1_000,
        staleUntil: t + (ttlSeconds + staleIfErrorSeconds) * 1_000,
      };
      await cache.setRef(key, record, keepUntil(record));
      return { record, source: 'registry', stale: false };
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (isDefinite(err)) {
        const t = this.now();
        const negativeSeconds = this.options.negativeTtlSeconds ?? Math.min(ttlSeconds, 10);
        const record: RefRecord = { kind: 'negative', code: err.code, message: err.message, resolvedAt: t, expiresAt: t + negativeSeconds * 1_000 };
        if (err.reason !== undefined) record.reason = err.reason;
        await cache.setRef(key, record, record.expiresAt);
        throw err;
      }
      if (isTransient(err) && previous?.kind === 'digest' && previous.staleUntil > this.now()) {
        return { record: previous, source: 'cache', stale: true };
      }
      throw err;
    }
  }
}

function answerOf(image: string, parsed: ParsedReference, record: RefOutcome['record'], platform: PlatformDigest | null, source: DigestSource, stale: boolean): DigestAnswer {
  return {
    image,
    reference: parsed.pullReference,
    // A digest reference names its digest; the lookup only proved it exists.
    digest: parsed.digest ?? record.digest,
    mediaType: record.mediaType,
    platform,
    source,
    stale,
    resolvedAt: new Date(record.resolvedAt).toISOString(),
    expiresAt: new Date(record.expiresAt).toISOString(),
  };
}

function answerFrom(record: RefRecord, source: DigestSource, stale: boolean): RefOutcome {
  if (record.kind === 'negative') throw new ApiError(record.code, record.message, undefined, record.reason);
  return { record, source, stale };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

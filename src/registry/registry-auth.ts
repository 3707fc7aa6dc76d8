/**
 * Registry authentication: remembers each registry's challenge (so later requests send credentials
 * up front instead of paying a 401 round trip), runs the Bearer token flow (anonymous, Basic
 * credentials, or an identity token) and builds Basic headers. Tokens and passwords stay in here.
 */
import { ApiError, ErrorCode } from '../common/errors.js';
import { LruMap } from '../common/lru.js';
import type { Credential } from '../common/docker-credentials.js';
import type { RegistryEndpoint } from './registry-endpoint.js';
import { statusError } from './registry-errors.js';
import type { RegistryHttp } from './registry-http.js';
import { type CachedToken, TokenCache, tokenKey, tokenUsableUntil } from './token-cache.js';
import { type Challenge, parseWwwAuthenticate } from './www-authenticate.js';

const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

export interface AuthContext {
  endpoint: RegistryEndpoint;
  /** `repository:<path>:pull` */
  scope: string;
  credential: Credential | undefined;
  deadline: number;
}

export class RegistryAuth {
  private readonly challenges = new LruMap<string, Challenge>(10_000);
  private readonly tokens: TokenCache;

  constructor(
    private readonly http: RegistryHttp,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = new TokenCache(now);
  }

  /** The header to send with the first request, from the challenge this registry gave before. */
  async preemptive(ctx: AuthContext): Promise<string | undefined> {
    const challenge = this.challenges.get(ctx.endpoint.origin);
    return challenge ? this.authorize(challenge, ctx, undefined) : undefined;
  }

  /**
   * After a 401: remembers the challenge and returns a header worth retrying with, or undefined when
   * these credentials cannot answer it (e.g. Basic without a password).
   */
  async answerChallenge(header: string | string[] | undefined, ctx: AuthContext, sent: string | undefined): Promise<string | undefined> {
    const challenges = parseWwwAuthenticate(header);
    const challenge = challenges.find((c) => c.scheme === 'bearer') ?? challenges.find((c) => c.scheme === 'basic');
    if (!challenge) return undefined;
    this.challenges.set(ctx.endpoint.origin, challenge);
    const next = await this.authorize(challenge, ctx, sent);
    return next === sent ? undefined : next;
  }

  private async authorize(challenge: Challenge, ctx: AuthContext, rejected: string | undefined): Promise<string | undefined> {
    const c = ctx.credential;
    if (challenge.scheme === 'basic') {
      if (c?.username === undefined || c.password === undefined) return undefined;
      return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
    }
    const realm = challenge.params.realm;
    if (!realm) throw new ApiError(ErrorCode.RegistryUnauthorized, `registry ${ctx.endpoint.domain} sent a Bearer challenge without a realm`);
    const service = challenge.params.service ?? '';
    const key = tokenKey(realm, service, ctx.scope, c?.identity ?? 'anonymous');
    // A token the registry just rejected is dropped, so the retry gets a fresh one.
    if (rejected !== undefined && rejected === `Bearer ${this.tokens.get(key) ?? ''}`) this.tokens.invalidate(key);
    const token = await this.tokens.getOrFetch(key, () => this.fetchToken(realm, service, ctx));
    return `Bearer ${token}`;
  }

  private async fetchToken(realm: string, service: string, ctx: AuthContext): Promise<CachedToken> {
    const { endpoint, credential: c } = ctx;
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw new ApiError(ErrorCode.RegistryUnauthorized, `registry ${endpoint.domain} sent an invalid token realm`);
    }
    // The realm comes from the registry: https only, unless the registry itself is plain http.
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && endpoint.plainHttp)) {
      throw new ApiError(ErrorCode.RegistryNotAllowed, `token realm of registry ${endpoint.domain} must use https`);
    }
    const common = { deadline: ctx.deadline, maxBodyBytes: MAX_TOKEN_RESPONSE_BYTES, followRedirects: false, registry: endpoint.origin, plainHttpAllowed: endpoint.plainHttp };
    let response;
    if (c?.identityToken !== undefined) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: c.identityToken, service, scope: ctx.scope, client_id: 'image-policy-service' });
      response = await this.http.send({ ...common, method: 'POST', url: url.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    } else {
      if (service) url.searchParams.set('service', service);
      url.searchParams.set('scope', ctx.scope);
      const authorization =
        c?.username !== undefined && c.password !== undefined ? `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : undefined;
      response = await this.http.send({ ...common, method: 'GET', url: url.toString(), authorization });
    }
    if (response.status >= 300 && response.status < 400) {
      throw new ApiError(ErrorCode.RegistryUnauthorized, `token endpoint of registry ${endpoint.domain} answered with a redirect, which is not followed`);
    }
    if (response.status !== 200) throw statusError(response.status, endpoint.domain, 'a token');
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(response.body.toString('utf8')) as typeof parsed;
    } catch {
      throw new ApiError(ErrorCode.RegistryUnavailable, `token endpoint of registry ${endpoint.domain} answered with invalid JSON`);
    }
    const token = typeof parsed.token === 'string' && parsed.token ? parsed.token : parsed.access_token;
    if (typeof token !== 'string' || token === '') {
      throw new ApiError(ErrorCode.RegistryUnavailable, `token endpoint of registry ${endpoint.domain} answered without a token`);
    }
    const expiresIn = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : undefined;
    // Our own clock, not issued_at: a skewed registry clock must not make fresh tokens look expired.
    return { token, usableUntil: tokenUsableUntil(this.now(), expiresIn) };
  }
}

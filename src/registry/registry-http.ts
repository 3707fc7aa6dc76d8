/**
 * The one HTTP transport to registries and token realms: undici with connection reuse, every connection
 * through the egress guard, one deadline per logical request, bounded retries, a per-registry circuit
 * breaker, and redirects that never carry `Authorization` to another origin nor downgrade to http.
 */
import { Agent, request } from 'undici';
import { ApiError, ErrorCode } from '../common/errors.js';
import { CircuitBreakers, parseRetryAfter } from './circuit-breaker.js';
import { egressConnector, type Resolver } from './egress-connector.js';
import { type EgressPolicy, preflightEgress } from './egress-guard.js';
import { networkError } from './registry-errors.js';
import { canonicalHostPort } from './registry-endpoint.js';

export type Headers = Record<string, string | string[] | undefined>;

export interface HttpRequest {
  method: 'GET' | 'HEAD' | 'POST';
  url: string;
  headers?: Record<string, string>;
  /** Sent to the request's origin only; dropped when a redirect leaves it. */
  authorization?: string;
  body?: string;
  /** Epoch ms by which the whole logical request (retries, redirects) must finish. */
  deadline: number;
  /** Read at most this many body bytes (0: discard the body). */
  maxBodyBytes: number;
  followRedirects: boolean;
  /** Circuit-breaker and metrics key (the registry's origin). */
  registry: string;
  /** A token realm of a plain-http registry may itself be plain http. */
  plainHttpAllowed?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  body: Buffer;
  /** The URL that answered (after redirects). */
  url: string;
}

export interface RegistryHttpOptions {
  policy: EgressPolicy;
  /** Canonical `host[:port]` entries reached over plain http. */
  plainHttp: ReadonlySet<string>;
  timeoutMs: number;
  resolver?: Resolver;
  tls?: Record<string, unknown>;
  maxRetries?: number;
  breakers?: CircuitBreakers;
  now?: () => number;
  /** Called once per HTTP exchange (metrics): registry, method, status or `error`. */
  observe?: (registry: string, method: string, status: string) => void;
}

const MAX_REDIRECTS = 5;
const RETRY_STATUSES = new Set([500, 502, 503, 504]);
/** Connection-level failures worth one more try (a reset keep-alive socket); refused is not. */
const RETRY_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

export class RegistryHttp {
  private readonly agent: Agent;
  readonly breakers: CircuitBreakers;
  private readonly maxRetries: number;
  private readonly now: () => number;

  constructor(private readonly options: RegistryHttpOptions) {
    this.agent = new Agent({
      connect: egressConnector({ policy: options.policy, timeoutMs: options.timeoutMs, resolver: options.resolver, tls: options.tls }),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 30_000,
      connections: 64,
    });
    this.breakers = options.breakers ?? new CircuitBreakers({ now: options.now });
    this.maxRetries = options.maxRetries ?? 2;
    this.now = options.now ?? Date.now;
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  /**
   * One logical request: breaker check, bounded retries of 5xx and reset connections with jittered
   * back-off inside the deadline. 429 is never retried here: it pauses the registry for Retry-After.
   * The breaker's ticket covers the whole logical request (retries included) and is settled on every
   * path: a verdict where the registry gave one, released in `finally` for anything else, so a
   * half-open probe can never stay reserved.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const verdict = this.breakers.check(req.registry, req.deadline);
    if (!verdict.allowed) {
      const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1_000));
      throw verdict.reason === 'rate-limited'
        ? new ApiError(ErrorCode.RegistryRateLimited, `registry ${req.registry} is rate-limiting requests`, seconds)
        : new ApiError(ErrorCode.RegistryUnavailable, `registry ${req.registry} is failing; not asked again for ${seconds} s`, seconds);
    }
    const ticket = verdict.ticket;
    try {
      for (let attempt = 0; ; attempt++) {
        let response: HttpResponse;
        try {
          response = await this.exchange(req);
        } catch (err) {
          // The registry answered, only more than we read: that says nothing against it (an image anyone can
          // push must not open the circuit for everyone using the registry).
          if (err instanceof ResponseTooLarge) {
            ticket.success();
            throw err;
          }
          const apiError = networkError(err, req.registry);
          // Our own egress guard said no: nothing is known about the registry (the ticket is released below).
          if (apiError.code === ErrorCode.RegistryNotAllowed) throw apiError;
          const code = codeOf(err);
          // A name that does not resolve is not a registry that fails: counting it would let made-up host names
          // fill the breakers' table (released below, like a refusal).
          if (code === 'ENOTFOUND') throw apiError;
          if (apiError.code === ErrorCode.RegistryUnavailable && code && RETRY_CODES.has(code) && (await this.backoff(attempt, req.deadline))) continue;
          ticket.failure();
          throw apiError;
        }
        if (response.status === 429) {
          ticket.rateLimited(parseRetryAfter(response.headers['retry-after'], this.now()) ?? 1_000);
          return response;
        }
        if (RETRY_STATUSES.has(response.status)) {
          if (await this.backoff(attempt, req.deadline)) continue;
          ticket.failure();
          return response;
        }
        ticket.success();
        return response;
      }
    } finally {
      ticket.release();
    }
  }

  /** Sleeps before another try; false when out of tries or out of time. */
  private async backoff(attempt: number, deadline: number): Promise<boolean> {
    if (attempt >= this.maxRetries) return false;
    const delay = Math.round(50 * 3 ** attempt * (0.5 + Math.random() / 2));
    if (this.now() + delay + 50 >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, delay));
    return true;
  }

  /** One exchange including redirects. */
  private async exchange(req: HttpRequest): Promise<HttpResponse> {
    let url = new URL(req.url);
    const origin = url.origin;
    let method = req.method;
    for (let hop = 0; ; hop++) {
      this.assertAllowed(url, req.plainHttpAllowed === true && hop === 0);
      const remaining = req.deadline - this.now();
      if (remaining <= 0) throw new ApiError(ErrorCode.RegistryTimeout, `registry ${req.registry} did not answer in time`);
      const headers: Record<string, string> = { 'user-agent': 'image-policy-service', ...(req.headers ?? {}) };
      // Credentials belong to the origin they were issued for: never forwarded on a cross-origin redirect.
      if (req.authorization && url.origin === origin) headers.authorization = req.authorization;
      let res: Awaited<ReturnType<typeof request>>;
      try {
        res = await request(url, {
          dispatcher: this.agent,
          method,
          headers,
          body: method === 'POST' ? req.body : undefined,
          signal: AbortSignal.timeout(remaining),
        });
      } catch (err) {
        this.options.observe?.(req.registry, method, 'error');
        throw err;
      }
      this.options.observe?.(req.registry, method, String(res.statusCode));
      const location = res.headers.location;
      if (req.followRedirects && res.statusCode >= 300 && res.statusCode < 400 && typeof location === 'string') {
        await res.body.dump();
        if (hop >= MAX_REDIRECTS) throw new ApiError(ErrorCode.RegistryUnavailable, `registry ${req.registry} redirected too often`);
        const next = new URL(location, url);
        if (url.protocol === 'https:' && next.protocol !== 'https:' && !this.isPlainHttp(next)) {
          throw new ApiError(ErrorCode.RegistryNotAllowed, `registry ${req.registry} redirected to plain http, which is refused`);
        }
        if (res.statusCode === 303) method = 'GET';
        url = next;
        continue;
      }
      const body = req.maxBodyBytes > 0 && method !== 'HEAD' ? await readLimited(res.body, req.maxBodyBytes, req.registry) : (await res.body.dump(), Buffer.alloc(0));
      return { status: res.statusCode, headers: res.headers, body, url: url.toString() };
    }
  }

  isPlainHttp(url: URL): boolean {
    return this.options.plainHttp.has(canonicalHostPort(url.host)) || this.options.plainHttp.has(canonicalHostPort(url.hostname));
  }

  /** Scheme and literal-address checks before any socket work (names are checked by the connector). */
  assertAllowed(url: URL, plainHttpAllowed = false): void {
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ApiError(ErrorCode.RegistryNotAllowed, `scheme ${url.protocol} is not allowed`);
    }
    if (url.protocol === 'http:' && !plainHttpAllowed && !this.isPlainHttp(url)) {
      throw new ApiError(ErrorCode.RegistryNotAllowed, `plain http to ${url.host} is refused; list it in REGISTRY_PLAIN_HTTP`);
    }
    if (url.username || url.password) throw new ApiError(ErrorCode.RegistryNotAllowed, 'URLs with user information are refused');
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const pre = preflightEgress(url.hostname, port, this.options.policy);
    if (pre && !pre.allowed) throw new ApiError(ErrorCode.RegistryNotAllowed, pre.reason);
  }
}

function codeOf(err: unknown): string | undefined {
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A registry's answer over the size we read (typed, so the breaker can tell it from a failing registry). */
class ResponseTooLarge extends ApiError {}

async function readLimited(body: AsyncIterable<Buffer> & { destroy(): void }, max: number, registry: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw new ResponseTooLarge(ErrorCode.RegistryUnavailable, `registry ${registry} sent a response larger than ${max} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}


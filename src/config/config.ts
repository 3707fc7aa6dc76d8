/**
 * The service's configuration: one typed object, built from the environment once at start and
 * validated there, so a bad value stops the start with a message naming the variable.
 */
import { createSecretKey, type KeyObject } from 'node:crypto';
import { isIP } from 'node:net';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface AppConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** ACCESS_LOG=off: no line per request (at info level the other lines stay; metrics still count every request). */
  accessLog: boolean;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Unset: the in-memory digest cache. */
  redisUrl: string | null;
  /**
   * CACHE_KEY_SECRET: the HMAC key of the credential part of cache keys, shared by the replicas (required with
   * REDIS_URL). A KeyObject, so printing or serialising the configuration never shows it. Null: a random key per process.
   */
  cacheKeySecret: KeyObject | null;
  pluginsDir: string;
  pluginsConfig: string;
  registryAuthFile: string | null;
  /** `host:port` entries reached over plain http (and allowed past the egress guard). */
  registryPlainHttp: string[];
  /** Hosts allowed past the egress guard even though they resolve to private addresses. */
  registryAllowHosts: string[];
  digestCacheTtlSeconds: number;
  digestStaleIfErrorSeconds: number;
  registryTimeoutMs: number;
  /** Consecutive failed requests to one registry that open its circuit (it is then not asked for a while). */
  registryCircuitThreshold: number;
  /** How long an open circuit keeps a registry unasked before one probe request is let through. */
  registryCircuitOpenMs: number;
  /** API keys (`{"keys": [{name, sha256, scopes}]}`, JSON or YAML); unset: authentication is off. */
  apiKeysFile: string | null;
  /** Path patterns answered without a key while authentication is on (`/healthz`, `/docs*`). */
  authOpenPaths: string[];
  /** Requests per second per API key (or per client address without keys); 0: no limit. */
  rateLimitPerSecond: number;
  /** Requests a key may make at once above the steady rate. */
  rateLimitBurst: number;
  /**
   * The proxies whose `X-Forwarded-For` is believed for the client address (rate limits without keys):
   * addresses, CIDR ranges and the names loopback, linklocal, uniquelocal; empty: none.
   */
  trustProxy: string[];
  graphqlMaxDepth: number;
  graphqlMaxAliases: number;
  /** Field selections of one GraphQL operation, fragments expanded. */
  graphqlMaxComplexity: number;
  /** Lexical tokens of one GraphQL document (checked before it is parsed). */
  graphqlMaxTokens: number;
  /** UTF-8 length of one GraphQL document (checked before it is parsed). */
  graphqlMaxDocumentBytes: number;
  /** Both set: HTTPS, the certificate reloaded when the files change. */
  tlsCertFile: string | null;
  tlsKeyFile: string | null;
  /** How often the certificate files are checked for changes. */
  tlsReloadIntervalMs: number;
  /** Longest wait for in-flight requests after SIGTERM before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** Time budget of one admission review (capped by the API server's `?timeout=`). */
  admissionTimeoutMs: number;
  /**
   * What an admission review that runs out of time (or fails) answers, per webhook: Fail refuses, Ignore
   * allows. The validating webhook fails closed by default (its rules cannot be bypassed by slowing the
   * service down); the mutating one fails open (an outage never blocks deployments).
   */
  admissionFailurePolicy: { validate: AdmissionFailurePolicy; mutate: AdmissionFailurePolicy };
  /** Settings that still work but are deprecated: logged as warnings at start. */
  deprecations: string[];
}

export type AdmissionFailurePolicy = 'Fail' | 'Ignore';

/**
 * ADMISSION_VALIDATE_FAILURE_POLICY (default Fail) and ADMISSION_MUTATE_FAILURE_POLICY (default Ignore);
 * ADMISSION_FAILURE_POLICY, the one setting for both that they replace, still sets whichever is not given.
 */
function admissionFailurePolicies(env: Env, deprecations: string[]): AppConfig['admissionFailurePolicy'] {
  const read = (variable: string): AdmissionFailurePolicy | undefined => {
    const value = text(env, variable);
    if (value === undefined) return undefined;
    if (value !== 'Fail' && value !== 'Ignore') throw new ConfigError(variable, `must be Fail or Ignore, got "${value}"`);
    return value;
  };
  const both = read('ADMISSION_FAILURE_POLICY');
  if (both !== undefined) {
    deprecations.push(
      `ADMISSION_FAILURE_POLICY is deprecated: set ADMISSION_VALIDATE_FAILURE_POLICY and ADMISSION_MUTATE_FAILURE_POLICY instead (it now sets whichever of them is not set, to ${both})`,
    );
  }
  return {
    validate: read('ADMISSION_VALIDATE_FAILURE_POLICY') ?? both ?? 'Fail',
    mutate: read('ADMISSION_MUTATE_FAILURE_POLICY') ?? both ?? 'Ignore',
  };
}

export class ConfigError extends Error {
  constructor(variable: string, problem: string) {
    super(`Invalid configuration: ${variable} ${problem}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${raw}`);
  return value;
}

function list(env: Env, name: string, check: (item: string) => boolean, shape: string): string[] {
  const raw = text(env, name);
  if (raw === undefined) return [];
  const items = raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
  for (const item of items) {
    if (!check(item)) throw new ConfigError(name, `has "${item}", which is not ${shape}`);
  }
  return items;
}

const HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])$/;
const HOST_PORT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** An IP address or CIDR range (`10.0.0.0/8`, `fd00::/8`), as Fastify's trustProxy reads them. */
function isAddressOrRange(item: string): boolean {
  const [address, prefix, ...rest] = item.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * `TRUST_PROXY`: the proxies to believe, by address (a hop count is not offered: it cannot check who sent the
 * header, and Fastify refuses to trust it).
 */
function trustProxy(env: Env): string[] {
  return list(env, 'TRUST_PROXY', (item) => PROXY_NAMES.includes(item) || isAddressOrRange(item), `an IP address, a CIDR range or one of ${PROXY_NAMES.join(', ')}`);
}

/** `AUTH_OPEN_PATHS`: unset → health, readiness and metrics; `none` → nothing; else a list (`/docs*` is a prefix). */
function openPaths(env: Env): string[] {
  const raw = text(env, 'AUTH_OPEN_PATHS');
  if (raw === undefined) return ['/healthz', '/readyz', '/metrics'];
  if (raw.toLowerCase() === 'none') return [];
  return list(env, 'AUTH_OPEN_PATHS', (item) => /^\/[^\s*]*\*?$/.test(item), 'a path starting with / (optionally ending in *)');
}

const CACHE_KEY_SECRET_MIN_LENGTH = 32;

/**
 * `CACHE_KEY_SECRET`: keys the HMAC of the credential part of cache keys. Required with REDIS_URL: a plain hash
 * of a credential in a Redis key can be attacked offline by anyone who can read Redis (issue 11, item 5), and
 * the replicas must share the key to share answers. At least 32 characters (16 random bytes as hex); never echoed.
 */
function cacheKeySecretOf(env: Env, redisUrl: string | null): KeyObject | null {
  const secret = text(env, 'CACHE_KEY_SECRET');
  if (secret === undefined) {
    if (redisUrl === null) return null;
    throw new ConfigError('CACHE_KEY_SECRET', 'must be set when REDIS_URL is set: the replicas key the credential part of shared cache keys with it (e.g. openssl rand -hex 32)');
  }
  if (secret.length < CACHE_KEY_SECRET_MIN_LENGTH) {
    throw new ConfigError('CACHE_KEY_SECRET', `must be at least ${CACHE_KEY_SECRET_MIN_LENGTH} characters of random text (e.g. openssl rand -hex 32)`);
  }
  return createSecretKey(Buffer.from(secret, 'utf8'));
}

export function loadConfig(env: Env = process.env): AppConfig {
  const logLevel = (text(env, 'LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const redisUrl = text(env, 'REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
  const cacheKeySecret = cacheKeySecretOf(env, redisUrl);
  const pluginsDir = text(env, 'PLUGINS_DIR') ?? 'plugins';
  const tlsCertFile = text(env, 'TLS_CERT_FILE') ?? null;
  const tlsKeyFile = text(env, 'TLS_KEY_FILE') ?? null;
  if ((tlsCertFile === null) !== (tlsKeyFile === null)) {
    throw new ConfigError(tlsCertFile === null ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE', 'must be set together with ' + (tlsCertFile === null ? 'TLS_KEY_FILE' : 'TLS_CERT_FILE'));
  }
  const deprecations: string[] = [];
  const admissionFailurePolicy = admissionFailurePolicies(env, deprecations);
  const rateLimitPerSecond = integer(env, 'RATE_LIMIT_PER_SECOND', 0, 0, 1_000_000);
  const accessLog = (text(env, 'ACCESS_LOG') ?? 'on').toLowerCase();
  if (accessLog !== 'on' && accessLog !== 'off') throw new ConfigError('ACCESS_LOG', `must be on or off, got "${env.ACCESS_LOG}"`);
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    logLevel,
    accessLog: accessLog === 'on',
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    redisUrl,
    cacheKeySecret,
    pluginsDir,
    pluginsConfig: text(env, 'PLUGINS_CONFIG') ?? `${pluginsDir}/plugins.yaml`,
    registryAuthFile: text(env, 'REGISTRY_AUTH_FILE') ?? null,
    registryPlainHttp: list(env, 'REGISTRY_PLAIN_HTTP', (item) => HOST_PORT.test(item), 'a host or host:port'),
    registryAllowHosts: list(env, 'REGISTRY_ALLOW_HOSTS', (item) => HOST_PORT.test(item) || HOST.test(item), 'a host name'),
    digestCacheTtlSeconds: integer(env, 'DIGEST_CACHE_TTL_SECONDS', 60, 1, 86_400),
    digestStaleIfErrorSeconds: integer(env, 'DIGEST_STALE_IF_ERROR_SECONDS', 3_600, 0, 7 * 86_400),
    registryTimeoutMs: integer(env, 'REGISTRY_TIMEOUT_MS', 5_000, 100, 120_000),
    registryCircuitThreshold: integer(env, 'REGISTRY_CIRCUIT_THRESHOLD', 5, 1, 1_000),
    registryCircuitOpenMs: integer(env, 'REGISTRY_CIRCUIT_OPEN_MS', 10_000, 100, 3_600_000),
    apiKeysFile: text(env, 'API_KEYS_FILE') ?? null,
    authOpenPaths: openPaths(env),
    rateLimitPerSecond,
    rateLimitBurst: integer(env, 'RATE_LIMIT_BURST', Math.max(1, rateLimitPerSecond * 2), 1, 10_000_000),
    trustProxy: trustProxy(env),
    graphqlMaxDepth: integer(env, 'GRAPHQL_MAX_DEPTH', 15, 1, 1000),
    graphqlMaxAliases: integer(env, 'GRAPHQL_MAX_ALIASES', 30, 0, 100_000),
    graphqlMaxComplexity: integer(env, 'GRAPHQL_MAX_COMPLEXITY', 1000, 1, 1_000_000),
    graphqlMaxTokens: integer(env, 'GRAPHQL_MAX_TOKENS', 2_000, 100, 1_000_000),
    graphqlMaxDocumentBytes: integer(env, 'GRAPHQL_MAX_DOCUMENT_BYTES', 64 * 1024, 1024, 1024 * 1024 * 1024),
    tlsCertFile,
    tlsKeyFile,
    tlsReloadIntervalMs: integer(env, 'TLS_RELOAD_INTERVAL_MS', 5_000, 50, 3_600_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 25_000, 0, 600_000),
    admissionTimeoutMs: integer(env, 'ADMISSION_TIMEOUT_MS', 2_500, 50, 30_000),
    admissionFailurePolicy,
    deprecations,
  };
}

/** Nest injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');

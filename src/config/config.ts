/**
 * The service's configuration: one typed object, built from the environment once at start and
 * validated there, so a bad value stops the start with a message naming the variable.
 */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface AppConfig {
  port: number;
  host: string;
  logLevel: LogLevel;
  /** Largest accepted request body, in bytes. */
  bodyLimitBytes: number;
  /** Unset: the in-memory digest cache. */
  redisUrl: string | null;
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

export function loadConfig(env: Env = process.env): AppConfig {
  const logLevel = (text(env, 'LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}, got "${env.LOG_LEVEL}"`);
  }
  const redisUrl = text(env, 'REDIS_URL') ?? null;
  if (redisUrl !== null && !/^rediss?:\/\/[^\s]+$/.test(redisUrl)) {
    throw new ConfigError('REDIS_URL', 'must be a redis:// or rediss:// URL');
  }
  const pluginsDir = text(env, 'PLUGINS_DIR') ?? 'plugins';
  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: text(env, 'HOST') ?? '0.0.0.0',
    logLevel,
    bodyLimitBytes: integer(env, 'BODY_LIMIT_BYTES', 5 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    redisUrl,
    pluginsDir,
    pluginsConfig: text(env, 'PLUGINS_CONFIG') ?? `${pluginsDir}/plugins.yaml`,
    registryAuthFile: text(env, 'REGISTRY_AUTH_FILE') ?? null,
    registryPlainHttp: list(env, 'REGISTRY_PLAIN_HTTP', (item) => HOST_PORT.test(item), 'a host or host:port'),
    registryAllowHosts: list(env, 'REGISTRY_ALLOW_HOSTS', (item) => HOST_PORT.test(item) || HOST.test(item), 'a host name'),
    digestCacheTtlSeconds: integer(env, 'DIGEST_CACHE_TTL_SECONDS', 60, 1, 86_400),
    digestStaleIfErrorSeconds: integer(env, 'DIGEST_STALE_IF_ERROR_SECONDS', 3_600, 0, 7 * 86_400),
    registryTimeoutMs: integer(env, 'REGISTRY_TIMEOUT_MS', 5_000, 100, 120_000),
  };
}

/** Nest injection token for the AppConfig object. */
export const APP_CONFIG = Symbol('APP_CONFIG');

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('serves on the embedded defaults with no environment at all', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      logLevel: 'info',
      accessLog: true,
      bodyLimitBytes: 5 * 1024 * 1024,
      redisUrl: null,
      cacheKeySecret: null,
      pluginsDir: 'plugins',
      pluginsConfig: 'plugins/plugins.yaml',
      registryAuthFile: null,
      registryPlainHttp: [],
      registryAllowHosts: [],
      digestCacheTtlSeconds: 60,
      digestStaleIfErrorSeconds: 3600,
      registryTimeoutMs: 5000,
      registryCircuitThreshold: 5,
      registryCircuitOpenMs: 10000,
      apiKeysFile: null,
      authOpenPaths: ['/healthz', '/readyz', '/metrics'],
      rateLimitPerSecond: 0,
      rateLimitBurst: 1,
      trustProxy: [],
      graphqlMaxDepth: 15,
      graphqlMaxAliases: 30,
      graphqlMaxComplexity: 1000,
      graphqlMaxTokens: 2000,
      graphqlMaxDocumentBytes: 65536,
      tlsCertFile: null,
      tlsKeyFile: null,
      tlsReloadIntervalMs: 5000,
      shutdownTimeoutMs: 25000,
      admissionTimeoutMs: 2500,
      admissionFailurePolicy: { validate: 'Fail', mutate: 'Ignore' },
      deprecations: [],
    });
  });

  it('reads the access, limit, TLS and admission variables', () => {
    expect(
      loadConfig({
        API_KEYS_FILE: '/etc/keys.yaml',
        AUTH_OPEN_PATHS: '/healthz, /docs*',
        RATE_LIMIT_PER_SECOND: '50',
        GRAPHQL_MAX_DEPTH: '8',
        TLS_CERT_FILE: '/tls/tls.crt',
        TLS_KEY_FILE: '/tls/tls.key',
        ADMISSION_TIMEOUT_MS: '900',
        ADMISSION_MUTATE_FAILURE_POLICY: 'Fail',
      }),
    ).toMatchObject({
      apiKeysFile: '/etc/keys.yaml',
      authOpenPaths: ['/healthz', '/docs*'],
      rateLimitPerSecond: 50,
      rateLimitBurst: 100,
      graphqlMaxDepth: 8,
      tlsCertFile: '/tls/tls.crt',
      tlsKeyFile: '/tls/tls.key',
      admissionTimeoutMs: 900,
      admissionFailurePolicy: { validate: 'Fail', mutate: 'Fail' },
      deprecations: [],
    });
    expect(loadConfig({ AUTH_OPEN_PATHS: 'none' }).authOpenPaths).toEqual([]);
  });

  it('reads a failure policy per webhook; ADMISSION_FAILURE_POLICY is a deprecated alias for whichever is not set', () => {
    expect(loadConfig({ ADMISSION_VALIDATE_FAILURE_POLICY: 'Ignore' }).admissionFailurePolicy).toEqual({ validate: 'Ignore', mutate: 'Ignore' });
    const legacy = loadConfig({ ADMISSION_FAILURE_POLICY: 'Ignore', ADMISSION_VALIDATE_FAILURE_POLICY: 'Fail' });
    expect(legacy.admissionFailurePolicy).toEqual({ validate: 'Fail', mutate: 'Ignore' });
    expect(legacy.deprecations).toEqual([
      'ADMISSION_FAILURE_POLICY is deprecated: set ADMISSION_VALIDATE_FAILURE_POLICY and ADMISSION_MUTATE_FAILURE_POLICY instead (it now sets whichever of them is not set, to Ignore)',
    ]);
    expect(loadConfig({ ADMISSION_FAILURE_POLICY: 'Fail' }).admissionFailurePolicy).toEqual({ validate: 'Fail', mutate: 'Fail' });
  });

  it('reads TRUST_PROXY: addresses, CIDR ranges and the named ranges; unset trusts no proxy', () => {
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,fd00::/8 , 192.0.2.7,::1' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback', 'fd00::/8', '192.0.2.7', '::1']);
  });

  it.each(['2', 'true', '*', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0', 'proxy.internal', '10.0.0.0/', 'Loopback'])(
    'stops on TRUST_PROXY=%j, naming the variable and the entry',
    (value) => {
      expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(`Invalid configuration: TRUST_PROXY has "${value.split(',')[0].trim()}", which is not an IP address, a CIDR range or one of loopback, linklocal, uniquelocal`);
    },
  );

  it.each([
    [{ TLS_CERT_FILE: '/tls/tls.crt' }, 'TLS_KEY_FILE must be set together with TLS_CERT_FILE'],
    [{ TLS_KEY_FILE: '/tls/tls.key' }, 'TLS_CERT_FILE must be set together with TLS_KEY_FILE'],
    [{ ADMISSION_FAILURE_POLICY: 'open' }, 'ADMISSION_FAILURE_POLICY must be Fail or Ignore'],
    [{ ADMISSION_VALIDATE_FAILURE_POLICY: 'fail' }, 'ADMISSION_VALIDATE_FAILURE_POLICY must be Fail or Ignore'],
    [{ ADMISSION_MUTATE_FAILURE_POLICY: 'ignore' }, 'ADMISSION_MUTATE_FAILURE_POLICY must be Fail or Ignore'],
    [{ AUTH_OPEN_PATHS: 'healthz' }, 'AUTH_OPEN_PATHS has "healthz"'],
  ])('rejects %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'DEBUG',
      ACCESS_LOG: 'OFF',
      BODY_LIMIT_BYTES: '2048',
      REDIS_URL: 'redis://cache:6379/0',
      CACHE_KEY_SECRET: 'a'.repeat(32),
      PLUGINS_DIR: '/etc/rules',
      REGISTRY_AUTH_FILE: '/run/secrets/config.json',
      REGISTRY_PLAIN_HTTP: 'localhost:5000, 127.0.0.1:5001',
      REGISTRY_ALLOW_HOSTS: 'harbor.internal,[fd00::1]',
      DIGEST_CACHE_TTL_SECONDS: '30',
      DIGEST_STALE_IF_ERROR_SECONDS: '0',
      REGISTRY_TIMEOUT_MS: '2500',
      REGISTRY_CIRCUIT_THRESHOLD: '3',
      REGISTRY_CIRCUIT_OPEN_MS: '250',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      logLevel: 'debug',
      accessLog: false,
      bodyLimitBytes: 2048,
      redisUrl: 'redis://cache:6379/0',
      pluginsDir: '/etc/rules',
      pluginsConfig: '/etc/rules/plugins.yaml',
      registryAuthFile: '/run/secrets/config.json',
      registryPlainHttp: ['localhost:5000', '127.0.0.1:5001'],
      registryAllowHosts: ['harbor.internal', '[fd00::1]'],
      digestCacheTtlSeconds: 30,
      digestStaleIfErrorSeconds: 0,
      registryTimeoutMs: 2500,
      registryCircuitThreshold: 3,
      registryCircuitOpenMs: 250,
    });
  });

  describe('CACHE_KEY_SECRET (the HMAC key of credentials in cache keys)', () => {
    const SECRET = '0123456789abcdef0123456789abcdef';

    it('is required with REDIS_URL, naming the variable and never the other values', () => {
      expect(() => loadConfig({ REDIS_URL: 'redis://cache:6379' })).toThrow(ConfigError);
      expect(() => loadConfig({ REDIS_URL: 'redis://cache:6379' })).toThrow('Invalid configuration: CACHE_KEY_SECRET must be set when REDIS_URL is set');
      expect(() => loadConfig({ REDIS_URL: 'redis://cache:6379', CACHE_KEY_SECRET: '   ' })).toThrow('CACHE_KEY_SECRET must be set when REDIS_URL is set');
    });

    it.each(['short', 'x'.repeat(31), ` ${'y'.repeat(30)} `])('refuses a secret shorter than 32 characters (%j) without quoting it', (secret) => {
      let error: unknown;
      try {
        loadConfig({ REDIS_URL: 'redis://cache:6379', CACHE_KEY_SECRET: secret });
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('Invalid configuration: CACHE_KEY_SECRET must be at least 32 characters');
      expect((error as Error).message).not.toContain(secret.trim());
    });

    it('is optional without Redis (each process then uses a random key) and used when given', () => {
      expect(loadConfig({}).cacheKeySecret).toBeNull();
      const key = loadConfig({ REDIS_URL: 'redis://cache:6379', CACHE_KEY_SECRET: ` ${SECRET}\n` }).cacheKeySecret;
      expect(key?.export().toString('utf8')).toBe(SECRET);
      expect(loadConfig({ CACHE_KEY_SECRET: SECRET }).cacheKeySecret?.export().toString('utf8')).toBe(SECRET);
    });

    it('never shows in a printed or serialised configuration', async () => {
      const config = loadConfig({ REDIS_URL: 'redis://cache:6379', CACHE_KEY_SECRET: SECRET });
      const { inspect } = await import('node:util');
      expect(JSON.stringify(config)).not.toContain(SECRET);
      expect(inspect(config, { depth: 10, showHidden: true })).not.toContain(SECRET);
    });
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '  ', ACCESS_LOG: '' })).toMatchObject({ port: 3000, redisUrl: null, accessLog: true });
  });

  it.each([
    ['PORT', 'eighty', 'PORT must be a whole number'],
    ['PORT', '70000', 'PORT must be between 0 and 65535'],
    ['PORT', '-1', 'PORT must be a whole number'],
    ['LOG_LEVEL', 'loud', 'LOG_LEVEL must be one of'],
    ['ACCESS_LOG', 'sometimes', 'ACCESS_LOG must be on or off, got "sometimes"'],
    ['REDIS_URL', 'localhost:6379', 'REDIS_URL must be a redis:// or rediss:// URL'],
    ['REGISTRY_PLAIN_HTTP', 'http://localhost:5000', 'REGISTRY_PLAIN_HTTP has "http://localhost:5000"'],
    ['REGISTRY_ALLOW_HOSTS', 'bad host', 'REGISTRY_ALLOW_HOSTS has "bad host"'],
    ['DIGEST_CACHE_TTL_SECONDS', '0', 'DIGEST_CACHE_TTL_SECONDS must be between 1 and 86400'],
    ['REGISTRY_TIMEOUT_MS', '1.5', 'REGISTRY_TIMEOUT_MS must be a whole number'],
    ['REGISTRY_CIRCUIT_THRESHOLD', '0', 'REGISTRY_CIRCUIT_THRESHOLD must be between 1 and 1000'],
    ['REGISTRY_CIRCUIT_OPEN_MS', '5', 'REGISTRY_CIRCUIT_OPEN_MS must be between 100 and 3600000'],
    ['BODY_LIMIT_BYTES', '10', 'BODY_LIMIT_BYTES must be between'],
  ])('stops on a bad %s, naming the variable', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

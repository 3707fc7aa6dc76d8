import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createAccessLog, createLogger, type LoggedError, PinoNestLogger, scrubSecrets, serializeError } from './logger.js';

const capture = (level = 'info') => {
  const chunks: string[] = [];
  const logger = pino({ level, base: { service: 'image-policy-service' } }, { write: (chunk: string) => void chunks.push(chunk) });
  return { logger, lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
};
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('access log', () => {
  it('writes one JSON line per request, in the logger\'s shape, with each request\'s own fields', async () => {
    const { logger, lines } = capture();
    const log = createAccessLog(logger);
    const before = Date.now();
    log({ method: 'GET', route: '/v1/references/parse', status: 200, ms: 0.12 });
    log({ method: 'POST', route: '/v1/references/parse', status: 400, ms: 1.5, key: 'ci "robot"' });
    log({ method: 'GET', route: 'unmatched', status: 404, ms: 0.05 });
    await nextTurn();
    const written = lines();
    expect(written.map(({ time, ...rest }) => rest)).toEqual([
      { level: 30, service: 'image-policy-service', method: 'GET', route: '/v1/references/parse', status: 200, ms: 0.12, msg: 'request' },
      { level: 30, service: 'image-policy-service', method: 'POST', route: '/v1/references/parse', status: 400, ms: 1.5, key: 'ci "robot"', msg: 'request' },
      { level: 30, service: 'image-policy-service', method: 'GET', route: 'unmatched', status: 404, ms: 0.05, msg: 'request' },
    ]);
    for (const { time } of written) {
      expect(new Date(time as string).toISOString()).toBe(time);
      expect(Date.parse(time as string)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(time as string)).toBeLessThanOrEqual(Date.now());
    }
  });

  it('writes nothing below level info', async () => {
    const { logger, lines } = capture('warn');
    createAccessLog(logger)({ method: 'GET', route: '/healthz', status: 200, ms: 0.1 });
    await nextTurn();
    expect(lines()).toEqual([]);
  });
});

describe('scrubSecrets', () => {
  it.each([
    ['connect to redis://user:s3cret@10.0.0.5:6379/0 failed', 'connect to redis://[redacted]@10.0.0.5:6379/0 failed'],
    ['rediss://:p@ss@cache:6380', 'rediss://[redacted]@cache:6380'],
    ['GET https://robot:tok3n@registry.example.com/v2/ refused', 'GET https://[redacted]@registry.example.com/v2/ refused'],
    ['headers: { authorization: \'Bearer abc.def\', accept: \'*/*\' }', 'headers: { authorization: \'[redacted]\', accept: \'*/*\' }'],
    ['{"Authorization":"Basic YWxpY2U6cHc="}', '{"Authorization":"[redacted]"}'],
    ['Proxy-Authorization: Basic Zm9vOmJhcg== and more', 'Proxy-Authorization: [redacted]'],
    ['[ \'authorization\', \'Bearer eyJhbGciOi.x.y\' ]', '[ \'authorization\', \'Bearer [redacted]\' ]'],
    ['sent bearer wrong-key-123', 'sent bearer [redacted]'],
    ['{"auths":{"r.example":{"auth":"dXNlcjpwYXNz","password":"hunter2"}}}', '{"auths":{"r.example":{"auth":"[redacted]","password":"[redacted]"}}}'],
    ['{"dockerconfigjson":"{\\"auths\\":{\\"x\\":{\\"auth\\":\\"c2VjcmV0\\"}}}"}', '{"dockerconfigjson":"[redacted]"}'],
    ['"{\\"auths\\":{\\"x\\":{\\"auth\\":\\"c2VjcmV0\\"}}}"', '"{\\"auths\\":{\\"x\\":{\\"auth\\":\\"[redacted]\\"}}}"'],
    ['POST /token body grant_type=password&password=hunter2&refresh_token=r3fresh', 'POST /token body grant_type=password&password=[redacted]&refresh_token=[redacted]'],
    ['identitytoken: abc123, registrytoken: \'xyz\'', 'identitytoken: [redacted], registrytoken: \'[redacted]\''],
    ['Unexpected token \'x\', "{"auths":{"h":{"auth":"YWxp"... is not valid JSON', 'Unexpected token \'x\', "{"auths":{"h":{"auth":"[redacted]"... is not valid JSON'],
    ['secret-key=abc pass=p4ss pwd: hunter2 client_secret_value="x"', 'secret-key=[redacted] pass=[redacted] pwd: [redacted] client_secret_value="[redacted]"'],
  ])('%s', (text, scrubbed) => {
    expect(scrubSecrets(text)).toBe(scrubbed);
    expect(scrubSecrets(scrubbed)).toBe(scrubbed); // idempotent
  });

  it.each([
    'connect ECONNREFUSED 127.0.0.1:6390',
    'registry 127.0.0.1:5000 sent a Bearer challenge without a realm',
    'WWW-Authenticate: Bearer realm="https://auth.example/token",service="registry"',
    'the registry asked for Basic auth',
    'API key required: send Authorization header',
    'Invalid configuration: REDIS_URL must be a redis:// or rediss:// URL',
    '    at RegistryAuth.header (file:///srv/app/dist/src/registry/registry-auth.js:59:20)',
    '    at async Promise.all (file:///srv/app/node_modules/@nestjs/core/token-cache.js:1:2)',
    'docker.io/library/nginx@sha256:0123456789abcdef',
  ])('leaves text without credentials alone: %s', (text) => {
    expect(scrubSecrets(text)).toBe(text);
  });
});

it('scrubs in linear time, whatever the words around the keywords', () => {
  // Backtracking would make these quadratic: a megabyte of one word full of keywords, with no `=` after it.
  for (const text of ['pass'.repeat(250_000), `${'a'.repeat(1_000_000)}password`, 'secret-'.repeat(150_000)]) {
    const started = performance.now();
    expect(scrubSecrets(text)).toBe(text);
    expect(performance.now() - started).toBeLessThan(10_000); // milliseconds here; only a quadratic pass reaches this
  }
});

describe('serializeError', () => {
  /** Like ioredis and undici errors: the client's options (URL, password, headers) are enumerable properties. */
  const clientError = () => {
    const error = Object.assign(new Error('connect ECONNREFUSED for redis://app:redisPw1@cache:6379'), {
      code: 'ECONNREFUSED',
      options: { password: 'redisPw1', headers: { authorization: 'Bearer t0ken' } },
      url: 'redis://app:redisPw1@cache:6379',
    });
    error.cause = Object.assign(new TypeError('fetch failed: Authorization: Basic dXNlcjpwdw=='), { request: { headers: ['authorization', 'Basic dXNlcjpwdw=='] } });
    return error;
  };

  it('keeps type, message, code, stack and causes, scrubbed, and no other property', () => {
    const logged = serializeError(clientError())!;
    expect(Object.keys(logged).sort()).toEqual(['cause', 'code', 'message', 'stack', 'type']);
    expect(logged).toMatchObject({ type: 'Error', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED for redis://[redacted]@cache:6379' });
    expect(logged.stack).toMatch(/^Error: connect ECONNREFUSED for redis:\/\/\[redacted\]@cache:6379\n\s+at /);
    expect(Object.keys(logged.cause!).sort()).toEqual(['message', 'stack', 'type']);
    expect(logged.cause!.message).toBe('fetch failed: Authorization: [redacted]');
    const text = JSON.stringify(logged);
    for (const secret of ['redisPw1', 't0ken', 'dXNlcjpwdw==']) expect(text).not.toContain(secret);
  });

  it('bounds the cause chain, even a circular one', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    a.cause = b;
    let depth = 0;
    for (let at: LoggedError | undefined = serializeError(a)!; at !== undefined; at = at.cause) depth++;
    expect(depth).toBe(5); // the error, three causes, then the note
  });

  it('turns thrown non-errors into a type and a message, never their properties', () => {
    expect(serializeError('token=abc')).toEqual({ type: 'string', message: 'token=[redacted]' });
    expect(serializeError({ message: 'failed', config: { password: 'pw' } })).toEqual({ type: 'Object', message: 'failed' });
    const hostile = Object.defineProperty(new Error('x'), 'code', { get: () => { throw new Error('no'); } });
    expect(serializeError(hostile)).toMatchObject({ type: 'Error', message: 'x' });
    expect(serializeError(undefined)).toBeUndefined();
  });
});

describe('createLogger', () => {
  const capture = () => {
    const chunks: string[] = [];
    const logger = createLogger({ logLevel: 'info' }, { write: (chunk: string) => void chunks.push(chunk) });
    return { logger, text: () => chunks.join(''), lines: () => chunks.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>) };
  };

  it('logs errors through the safe serializer and scrubs msg, problem and trace', () => {
    const { logger, text, lines } = capture();
    const error = Object.assign(new Error('WRONGPASS for redis://app:redisPw1@cache'), { options: { password: 'redisPw1' } });
    logger.error({ err: error }, 'unhandled error');
    logger.error(error); // pino puts a lone error under `err`, its message in msg
    logger.warn({ error, problem: 'registry said 401 to Basic YWxpY2U6cHc=' }, 'lookup to https://alice:pw9@r.example/v2/ failed');
    new PinoNestLogger(logger).error(error, `Error: x\n    at f (https://alice:pw9@r.example/x.js:1:1)`, 'ExceptionHandler');
    new PinoNestLogger(logger).error('plain text with token=abc', undefined, 'Nest');
    logger.info({ password: 'pw9', auth: 'YWxpY2U6cHc=', pullSecrets: ['{"auths":{}}'], authorization: 'Bearer abc' }, 'keys redacted');
    for (const secret of ['redisPw1', 'YWxpY2U6cHc=', 'pw9', 'token=abc', 'Bearer abc', '"auths"']) expect(text()).not.toContain(secret);
    const [first, second, third, fourth, fifth] = lines();
    expect(first).toMatchObject({ level: 50, msg: 'unhandled error', err: { type: 'Error', message: 'WRONGPASS for redis://[redacted]@cache' } });
    expect(second).toMatchObject({ msg: 'WRONGPASS for redis://[redacted]@cache', err: { type: 'Error' } });
    expect(third).toMatchObject({ problem: 'registry said 401 to Basic [redacted]', msg: 'lookup to https://[redacted]@r.example/v2/ failed', error: { type: 'Error' } });
    expect(fourth).toMatchObject({ context: 'ExceptionHandler', err: { type: 'Error' }, trace: 'Error: x\n    at f (https://[redacted]@r.example/x.js:1:1)' });
    expect(fifth).toMatchObject({ context: 'Nest', msg: 'plain text with token=[redacted]' });
  });

  it('writes ordinary lines unchanged', () => {
    const { logger, lines } = capture();
    logger.info({ plugin: 'rules', url: 'http://127.0.0.1:8080' }, 'plugin "rules" active');
    expect(lines()).toMatchObject([{ level: 30, service: 'image-policy-service', plugin: 'rules', url: 'http://127.0.0.1:8080', msg: 'plugin "rules" active' }]);
  });
});

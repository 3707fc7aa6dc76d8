/**
 * No secret reaches the log on any error path: the whole app, its logger writing into memory, runs with
 * an unreachable Redis whose URL holds a password, node credentials and pull secrets for registries that
 * refuse or do not answer, API keys with wrong keys sent, and plugins that fail with secrets in their
 * errors; then the captured text (log lines and anything written to the console) is searched for every
 * secret used. And a process that dies of an uncaught exception or rejection still writes its buffered
 * lines and a safe fatal line.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { sha256Hex } from '../src/auth/api-keys.js';
import { createLogger } from '../src/common/logger.js';
import { loadConfig } from '../src/config/config.js';
import { removeTempPluginDirs, tempPluginDir } from './fixtures/plugins/support.js';
import { freePort, waitFor } from './support/net.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const base64 = (text: string): string => Buffer.from(text).toString('base64');

const REDIS_PASSWORD = 's3cretRedisPass';
const CACHE_KEY_SECRET = 'cache-key-secret-7Hq2vN9xLp4Rt8Wz3Yk6';
const REGISTRY_PASSWORD = 'RegistryPw-Right-4f9k'; // the registry's own; never sent
const NODE_FILE_PASSWORD = 'NodeFilePw-Wrong-8d2m';
const PULL_SECRET_PASSWORD = 'PullSecretPw-Wrong-5c7n';
const PULL_SECRET_TOKEN = 'PullSecretIdentityToken-3b6v';
const UNREACHABLE_PASSWORD = 'UnreachablePw-1a9z';
const API_KEY = 'ApiKey-Valid-0123456789abcdef';
const WRONG_API_KEY = 'ApiKey-Wrong-fedcba9876543210';
const PLUGIN_TOKEN = 'PluginToken-6e1q-9w3r';
const PLUGIN_PASSWORD = 'PluginPw-2k8s';

describe('secrets in the log', () => {
  let registry: RegistryServer;
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;
  const logged: string[] = [];
  const consoleOutput: string[] = [];
  let unreachable: string;
  let nodeAuthFile: string;
  let pullSecret: string;
  let unreachablePullSecret: string;

  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', users: { alice: REGISTRY_PASSWORD } });
    unreachable = `127.0.0.1:${await freePort()}`;
    const redisPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'ips-log-secrets-'));
    nodeAuthFile = join(dir, 'config.json');
    writeFileSync(nodeAuthFile, JSON.stringify({ auths: { [registry.host]: { auth: base64(`alice:${NODE_FILE_PASSWORD}`) }, [unreachable]: { username: 'bob', password: UNREACHABLE_PASSWORD } } }));
    pullSecret = JSON.stringify({ auths: { [registry.host]: { auth: base64(`alice:${PULL_SECRET_PASSWORD}`), password: PULL_SECRET_PASSWORD, username: 'alice' } } });
    unreachablePullSecret = JSON.stringify({ auths: { [unreachable]: { auth: base64(`bob:${UNREACHABLE_PASSWORD}`), identitytoken: PULL_SECRET_TOKEN } } });
    const keysFile = join(dir, 'keys.yaml');
    writeFileSync(keysFile, `keys:\n  - { name: robot, sha256: ${sha256Hex(API_KEY)}, scopes: [read, resolve, admission] }\n`);
    const plugins = tempPluginDir({
      // Fails on every decision: logs an error whose properties hold its client's config, then throws with the token in the message.
      'leaky.mjs': `export default {
        name: 'leaky', version: '1.0.0', description: 'fails with secrets', apiVersion: '1', secretOptions: ['apiToken', 'upstream'],
        evaluate(_input, ctx) {
          const { apiToken, upstream } = ctx.options;
          const failure = Object.assign(new Error('rules service refused Authorization: Bearer ' + apiToken), {
            config: { url: upstream, headers: { authorization: 'Bearer ' + apiToken }, password: ${JSON.stringify(PLUGIN_PASSWORD)} },
          });
          ctx.logger.error({ err: failure }, 'calling ' + upstream + ' failed');
          throw new Error('rules service at ' + upstream + ' refused token=' + apiToken);
        },
      };\n`,
      // Fails at setup (optional, so skipped): the loader logs why.
      'broken.mjs': `export default {
        name: 'broken', version: '1.0.0', description: 'cannot start', apiVersion: '1', secretOptions: ['upstream'],
        setup(options) { throw new Error('cannot reach ' + options.upstream + ' with Authorization: Basic ' + ${JSON.stringify(base64(`svc:${PLUGIN_PASSWORD}`))}); },
        evaluate() { return { verdict: 'allow' }; },
      };\n`,
      'plugins.yaml': [
        'plugins:',
        '  - name: leaky',
        '    failurePolicy: Ignore',
        `    options: { apiToken: "${PLUGIN_TOKEN}", upstream: "https://svc:${PLUGIN_PASSWORD}@rules.example.com/check" }`,
        '  - name: broken',
        '    optional: true',
        `    options: { upstream: "https://svc:${PLUGIN_PASSWORD}@rules.example.com/check" }`,
      ].join('\n'),
    });
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void consoleOutput.push(args.map(String).join(' ')));
    }
    const config = loadConfig({
      LOG_LEVEL: 'trace',
      REDIS_URL: `redis://user:${REDIS_PASSWORD}@127.0.0.1:${redisPort}`,
      CACHE_KEY_SECRET,
      REGISTRY_AUTH_FILE: nodeAuthFile,
      REGISTRY_PLAIN_HTTP: `${registry.host},${unreachable}`,
      REGISTRY_TIMEOUT_MS: '500',
      API_KEYS_FILE: keysFile,
      PLUGINS_DIR: plugins.dir,
    });
    app = await createApp(config, createLogger(config, { write: (line: string) => void logged.push(line) }));
    await app.getHttpAdapter().getInstance().ready();
    http = request(app.getHttpServer());
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
  });
  afterAll(async () => {
    await app?.close();
    await registry?.dispose();
    removeTempPluginDirs();
    vi.restoreAllMocks();
  });

  const withKey = { authorization: `Bearer ${API_KEY}` };

  it('runs the failing paths, and none of their secrets is in the log', async () => {
    // Wrong API keys, as Bearer and as Basic.
    await http.get('/v1/references/parse?reference=nginx').set({ authorization: `Bearer ${WRONG_API_KEY}` }).expect(401);
    await http.get('/v1/references/parse?reference=nginx').set({ authorization: `Basic ${base64(`robot:${WRONG_API_KEY}`)}` }).expect(401);
    // Node credentials: refused by the registry, and for one that does not answer.
    expect((await http.get(`/v1/digests?image=${registry.host}/private/app:v1`).set(withKey).expect(502)).body.error.code).toBe('RegistryUnauthorized');
    expect((await http.get(`/v1/digests?image=${unreachable}/private/app:v1`).set(withKey)).status).toBeGreaterThanOrEqual(502);
    // Pull secrets in POST /v1/digests, GraphQL and a pull decision (where the leaky plugin fails too).
    const answer = await http
      .post('/v1/digests')
      .set(withKey)
      .send({ images: [`${registry.host}/private/app:v1`, `${unreachable}/private/app:v2`], pullSecrets: [{ dockerconfigjson: pullSecret }, { dockerconfigjson: unreachablePullSecret }] })
      .expect(200);
    expect(answer.body.results.map((result: { ok: boolean }) => result.ok)).toEqual([false, false]);
    await http
      .post('/v1/digests')
      .set(withKey)
      .send({ images: ['127.0.0.1:1/x:1'], pullSecrets: [{ dockerconfigjson: `${pullSecret} trailing ${PULL_SECRET_PASSWORD}` }] })
      .expect(400);
    const graphql = await http
      .post('/graphql')
      .set(withKey)
      .send({ query: 'query($images: [String!]!, $secrets: [PullSecretInput!]) { digests(images: $images, pullSecrets: $secrets) { ok error { code } } }', variables: { images: [`${unreachable}/app:3`], secrets: [{ dockerconfigjson: unreachablePullSecret }] } })
      .expect(200);
    expect(graphql.body.data.digests).toEqual([{ ok: false, error: { code: expect.any(String) } }]);
    const decision = await http
      .post('/v1/pull-decisions')
      .set(withKey)
      .send({ image: `${registry.host}/private/app:v1`, imagePullPolicy: 'Always', pod: { namespace: 'team', imagePullSecrets: [{ name: 'regcred', dockerconfigjson: pullSecret }] } })
      .expect(200);
    expect(JSON.stringify(decision.body)).toContain('plugin \\"leaky\\" failed');
    // Redis is unreachable: its client's error is logged once it has tried.
    await waitFor(async () => logged.join('').includes('shared digest cache unavailable'), 15_000, 'the Redis error to be logged');
    await app.close();

    const text = logged.join('') + consoleOutput.join('\n');
    const lines = logged.join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    // The failing paths did write lines, so the search below searched something.
    expect(lines.find((line) => line.cache === 'redis')).toMatchObject({ level: 40, problem: expect.stringContaining('ECONNREFUSED') });
    expect(lines.find((line) => line.plugin === 'broken')).toMatchObject({ level: 40, problem: expect.stringContaining('https://[redacted]@rules.example.com') });
    expect(lines.find((line) => line.msg === 'plugin "leaky" failed')).toMatchObject({ problem: expect.stringContaining('token=[redacted]') });
    expect(lines.find((line) => typeof line.msg === 'string' && line.msg.startsWith('calling https://[redacted]@'))).toMatchObject({ err: { type: 'Error', message: 'rules service refused Authorization: [redacted]' } });
    expect(lines.filter((line) => line.msg === 'request' && line.status === 401)).toHaveLength(2);

    const secrets = [
      REDIS_PASSWORD,
      CACHE_KEY_SECRET,
      REGISTRY_PASSWORD,
      NODE_FILE_PASSWORD,
      base64(`alice:${NODE_FILE_PASSWORD}`),
      PULL_SECRET_PASSWORD,
      base64(`alice:${PULL_SECRET_PASSWORD}`),
      PULL_SECRET_TOKEN,
      UNREACHABLE_PASSWORD,
      base64(`bob:${UNREACHABLE_PASSWORD}`),
      API_KEY,
      WRONG_API_KEY,
      base64(`robot:${WRONG_API_KEY}`),
      PLUGIN_TOKEN,
      PLUGIN_PASSWORD,
      base64(`svc:${PLUGIN_PASSWORD}`),
      pullSecret,
      unreachablePullSecret,
      readFileSync(nodeAuthFile, 'utf8'),
    ];
    for (const secret of secrets) expect(text, `the log holds ${secret}`).not.toContain(secret);
  });
});

describe('a crash', () => {
  let dir: string;

  /** The logger module as it is in src/, compiled into a folder of its own (no build of the whole service needed). */
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ips-log-crash-'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
    mkdirSync(join(dir, 'common'));
    for (const name of ['logger', 'two-key-map']) {
      const source = readFileSync(join(ROOT, 'src', 'common', `${name}.ts`), 'utf8');
      const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
      writeFileSync(join(dir, 'common', `${name}.js`), outputText);
    }
    writeFileSync(
      join(dir, 'crash.js'),
      `import { createAccessLog, createLogger, exitOnCrash } from './common/logger.js';
      const logger = createLogger({ logLevel: 'info' });
      exitOnCrash(logger);
      for (let i = 0; i < 5; i++) logger.info({ i }, 'before the crash');
      setTimeout(() => {
        createAccessLog(logger)({ method: 'GET', route: '/healthz', status: 200, ms: 0.1 }); // batched for the next turn, which never comes
        const error = Object.assign(new Error('lost redis://app:CrashPw-7x@cache:6379'), { options: { password: 'CrashPw-7x' } });
        if (process.argv[2] === 'rejection') void Promise.reject(error);
        else throw error;
      }, 20);\n`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (kind: string) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(dir, 'crash.js'), kind], { cwd: dir, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  it.each([
    ['exception', 'uncaught exception'],
    ['rejection', 'unhandled promise rejection'],
  ])('an uncaught %s: the buffered lines, then a safe fatal line, then exit 1', async (kind, what) => {
    const { code, stdout, stderr } = await run(kind);
    expect(code).toBe(1);
    expect(stderr).toBe(''); // not Node's report, which prints the whole error object
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      ...Array.from({ length: 5 }, () => [30, 'before the crash']),
      [30, 'request'],
      [60, `${what}: lost redis://[redacted]@cache:6379`],
    ]);
    expect(lines.at(-1)!.err).toMatchObject({ type: 'Error', message: 'lost redis://[redacted]@cache:6379', stack: expect.stringContaining('crash.js') });
    expect(stdout).not.toContain('CrashPw-7x');
  });
});

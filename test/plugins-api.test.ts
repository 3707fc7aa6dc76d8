/**
 * GET /v1/plugins, GraphQL `plugins` and /readyz on the whole service (needs PluginHostModule in
 * app.module.ts), plus the start stopping on a broken plugin.
 */
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from './support/app.js';
import { esmPlugin, removeTempPluginDirs, tempPluginDir } from './fixtures/plugins/support.js';

afterAll(removeTempPluginDirs);

const FIELDS = 'name version description source enabled optional order failurePolicy timeoutMs operations status error options apiVersion';
const ALL_OPERATIONS = ['decision', 'default', 'manifest', 'admission'];

describe('the bundled plugins, out of the box', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    app = await startTestApp(); // PLUGINS_DIR defaults to ./plugins
    http = request(app.getHttpServer());
  });
  afterAll(async () => app.close());

  const expected = [
    { name: 'allowed-registries', order: 10, enabled: false, status: 'disabled', timeoutMs: 1000 },
    { name: 'registry-mirror', order: 20, enabled: false, status: 'disabled', timeoutMs: 1000 },
    { name: 'disallow-latest', order: 30, enabled: true, status: 'active', timeoutMs: 1000, options: { action: 'warn' } },
    { name: 'require-digest', order: 40, enabled: false, status: 'disabled', timeoutMs: 5000, options: { mode: 'warn' } },
    { name: 'always-pull', order: 50, enabled: true, status: 'active', timeoutMs: 1000, options: { namespaces: [] } },
  ];

  it('GET /v1/plugins lists them in run order with the contract fields', async () => {
    const response = await http.get('/v1/plugins').expect(200);
    expect(response.body.plugins).toHaveLength(5);
    response.body.plugins.forEach((plugin: Record<string, unknown>, i: number) => {
      expect(plugin).toMatchObject({
        ...expected[i],
        version: '1.0.0',
        description: expect.any(String),
        source: `${expected[i].name}.js`,
        optional: false,
        failurePolicy: 'Fail',
        operations: ALL_OPERATIONS,
        apiVersion: '1.0',
      });
      expect(plugin).not.toHaveProperty('error');
    });
  });

  it('GraphQL plugins has the same fields and values', async () => {
    const rest = (await http.get('/v1/plugins').expect(200)).body.plugins as Record<string, unknown>[];
    const response = await http.post('/graphql').send({ query: `{ plugins { ${FIELDS} } }` }).expect(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.plugins).toEqual(rest.map((plugin) => ({ error: null, ...plugin })));
  });

  it('/readyz reports the plugins', async () => {
    const response = await http.get('/readyz').expect(200);
    expect(response.body.checks.plugins).toEqual({ ready: true, degraded: false, detail: '2 active, 0 failed, 3 disabled' });
  });
});

describe('an operator\'s plugins folder', () => {
  let app: NestFastifyApplication;
  let http: ReturnType<typeof request>;

  beforeAll(async () => {
    const { dir } = tempPluginDir({
      'team-rules.cjs': `module.exports = {
        name: 'team-rules', version: '0.3.0', description: 'Our rules', apiVersion: '1',
        secretOptions: ['webhook'],
        evaluate: () => ({ verdict: 'allow' }),
      };`,
      'async-rules/index.js': esmPlugin('async-rules', "evaluate() { return { verdict: 'allow' }; }", 'await Promise.resolve();'),
      'flaky.mjs': esmPlugin('flaky', "setup() { throw new Error('rules service unreachable'); }, evaluate() {}"),
      'plugins.yaml': [
        'plugins:',
        '  - name: team-rules',
        '    order: 5',
        '    failurePolicy: Ignore',
        '    timeoutMs: 200',
        '    operations: [decision, admission]',
        '    options: { webhook: "https://hooks.example.com/T0/B0/secret", apiToken: abc, teams: [a, b] }',
        '  - name: flaky',
        '    optional: true',
      ].join('\n'),
    });
    app = await startTestApp({ PLUGINS_DIR: dir });
    http = request(app.getHttpServer());
  });
  afterAll(async () => app.close());

  it('lists every plugin with its configuration, status and error, never secrets', async () => {
    const response = await http.get('/v1/plugins').expect(200);
    expect(response.body).toEqual({
      plugins: [
        {
          name: 'team-rules',
          version: '0.3.0',
          description: 'Our rules',
          source: 'team-rules.cjs',
          enabled: true,
          optional: false,
          order: 5,
          failurePolicy: 'Ignore',
          timeoutMs: 200,
          operations: ['decision', 'admission'],
          status: 'active',
          options: { webhook: '[redacted]', apiToken: '[redacted]', teams: ['a', 'b'] },
          apiVersion: '1',
        },
        {
          name: 'async-rules',
          version: '1.2.3',
          description: 'test plugin async-rules',
          source: 'async-rules/index.js',
          enabled: true,
          optional: false,
          order: 100,
          failurePolicy: 'Fail',
          timeoutMs: 1000,
          operations: ALL_OPERATIONS,
          status: 'active',
          options: {},
          apiVersion: null,
        },
        {
          name: 'flaky',
          version: '1.2.3',
          description: 'test plugin flaky',
          source: 'flaky.mjs',
          enabled: true,
          optional: true,
          order: 100,
          failurePolicy: 'Fail',
          timeoutMs: 1000,
          operations: ALL_OPERATIONS,
          status: 'failed',
          error: 'setup failed: rules service unreachable',
          options: {},
          apiVersion: null,
        },
      ],
    });
  });

  it('GraphQL shows the failure and the redacted options too', async () => {
    const response = await http.post('/graphql').send({ query: '{ plugins { name status error options } }' }).expect(200);
    expect(response.body.data.plugins).toEqual([
      { name: 'team-rules', status: 'active', error: null, options: { webhook: '[redacted]', apiToken: '[redacted]', teams: ['a', 'b'] } },
      { name: 'async-rules', status: 'active', error: null, options: {} },
      { name: 'flaky', status: 'failed', error: 'setup failed: rules service unreachable', options: {} },
    ]);
  });

  it('/readyz is ready but degraded while an optional plugin failed', async () => {
    const response = await http.get('/readyz').expect(200);
    expect(response.body.status).toBe('degraded');
    expect(response.body.checks.plugins).toEqual({
      ready: true,
      degraded: true,
      detail: '2 active, 1 failed, 0 disabled (flaky: setup failed: rules service unreachable)',
    });
  });
});

describe('the start stops on a broken plugin', () => {
  it.each([
    [{ 'rules.mjs': esmPlugin('rules', "setup() { throw new Error('no database'); }, evaluate() {}") }, 'Plugin failed to load: plugin "rules" (rules.mjs): setup failed: no database'],
    [{ 'a.mjs': esmPlugin('twin'), 'b.mjs': esmPlugin('twin') }, 'Plugin failed to load: plugin "twin" (a.mjs, b.mjs): duplicate plugin name: declared by a.mjs and b.mjs'],
    [{ 'plugins.yaml': 'plugins:\n  - name: ghost\n' }, 'Plugin failed to load: plugin "ghost": listed in '],
    [{ 'plugins.yaml': 'plugins:\n  - name: x\n    failurePolicy: Sometimes\n' }, 'failurePolicy must be Fail or Ignore, got "Sometimes"'],
  ])('%#', async (files, message) => {
    const { dir } = tempPluginDir(files);
    await expect(startTestApp({ PLUGINS_DIR: dir })).rejects.toThrow(message);
  });

  it('a separate PLUGINS_CONFIG applies', async () => {
    const { dir } = tempPluginDir({ 'rules.mjs': esmPlugin('rules') });
    const { configFile } = tempPluginDir({ 'plugins.yaml': 'plugins:\n  - { name: rules, enabled: false }\n' });
    const app = await startTestApp({ PLUGINS_DIR: dir, PLUGINS_CONFIG: configFile });
    try {
      const response = await request(app.getHttpServer()).get('/v1/plugins').expect(200);
      expect(response.body.plugins.map((p: { name: string; status: string }) => [p.name, p.status])).toEqual([['rules', 'disabled']]);
    } finally {
      await app.close();
    }
  });
});

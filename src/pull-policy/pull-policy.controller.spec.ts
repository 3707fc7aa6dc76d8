import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiExceptionFilter } from '../common/api-exception.filter.js';
import { formatGraphqlError } from '../common/graphql-errors.js';
import { LOGGER } from '../common/logger.js';
import { formatSchemaErrors } from '../common/schema-errors.js';
import { RequestValidationPipe } from '../common/validation.js';
import { PullPolicyModule } from './pull-policy.module.js';

@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, path: '/graphql', autoSchemaFile: true, playground: false, formatError: formatGraphqlError }),
    PullPolicyModule,
  ],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }, { provide: LOGGER, useValue: pino({ level: 'silent' }) }],
})
class TestModule {}

let app: NestFastifyApplication;

beforeAll(async () => {
  const adapter = new FastifyAdapter({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false } }, schemaErrorFormatter: formatSchemaErrors });
  adapter.getInstance().removeContentTypeParser(['text/plain']);
  app = await NestFactory.create<NestFastifyApplication>(TestModule, adapter, { logger: false, bodyParser: false });
  app.useGlobalPipes(new RequestValidationPipe());
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
});
afterAll(async () => app?.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as string, headers: { 'content-type': 'application/json', ...headers } });
const graphql = (query: string, variables?: Record<string, unknown>) => post('/graphql', { query, variables });

describe('POST /v1/pull-policy/default', () => {
  it('answers the contract shape', async () => {
    const response = await post('/v1/pull-policy/default', { image: 'nginx' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      image: 'nginx',
      imagePullPolicy: 'Always',
      defaulted: true,
      imageValid: true,
      reason: 'NoTag',
      warnings: [],
      // No plugin host in this module: the plugin fields are there, empty.
      plugins: [],
      denied: false,
      deniedBy: null,
      denyMessages: [],
      beforePlugins: null,
    });
  });

  it('applies AlwaysPullImages', async () => {
    const response = await post('/v1/pull-policy/default', { image: 'nginx:1.25', imagePullPolicy: 'IfNotPresent', alwaysPullImages: true });
    expect(response.json()).toMatchObject({ imagePullPolicy: 'Always', reason: 'AlwaysPullImages', defaulted: false });
  });

  it('rejects an unsupported value with InvalidPullPolicy naming it', async () => {
    const response = await post('/v1/pull-policy/default', { image: 'nginx', imagePullPolicy: 'Sometimes' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: { code: 'InvalidPullPolicy', message: 'imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"' },
    });
  });

  it.each([
    [{}, 'image is required'],
    [{ image: 5 }, 'image must be a string'],
    [{ image: 'nginx', alwaysPullImages: 'yes' }, 'alwaysPullImages must be a boolean'],
    [{ image: 'nginx', extra: 1 }, 'property extra should not exist'],
  ])('validates %j: %s', async (body, message) => {
    const response = await post('/v1/pull-policy/default', body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'InvalidRequest', message } });
  });
});

describe('POST /v1/manifests/default', () => {
  const yaml = `# web tier
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # the name
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:latest
`;

  it('JSON body with YAML text: YAML text back, comments kept, plus the report', async () => {
    const response = await post('/v1/manifests/default', { manifests: yaml });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.manifests).toBe(`${yaml}        imagePullPolicy: Always\n`);
    expect(body.containers).toEqual([
      expect.objectContaining({ kind: 'Deployment', namespace: null, name: 'web', container: 'web', path: 'spec.template.spec.containers[0]', image: 'nginx:latest', imagePullPolicy: 'Always', defaulted: true, warnings: [] }),
    ]);
    expect(body.warnings).toEqual([]);
  });

  it('JSON body with objects and previous', async () => {
    const object = (image: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image }] } });
    const response = await post('/v1/manifests/default', { manifests: [object('nginx:latest')], previous: object('nginx:1.25') });
    const body = response.json();
    expect(body.manifests[0].spec.containers[0]).toEqual({ name: 'c', image: 'nginx:latest', imagePullPolicy: 'IfNotPresent' });
    expect(body.containers[0]).toMatchObject({ reason: 'Kept', imagePullPolicy: 'IfNotPresent' });
    expect(body.containers[0].warnings[0]).toContain('would default to Always');
  });

  it('raw YAML body: answered in YAML, warnings as Warning headers', async () => {
    const response = await post('/v1/manifests/default', yaml.replace('nginx:latest', 'Nginx'), { 'content-type': 'application/yaml' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/yaml; charset=utf-8');
    expect(response.body).toBe(`${yaml.replace('nginx:latest', 'Nginx')}        imagePullPolicy: IfNotPresent\n`);
    expect(String(response.headers.warning)).toMatch(/^299 - "Deployment web spec\.template\.spec\.containers\[0\]: image \\"Nginx\\" cannot be parsed/);
    expect(response.headers['x-container-count']).toBe('1');
  });

  it('raw YAML body with Accept: application/json gets the JSON report; the query sets AlwaysPullImages', async () => {
    const pod = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: "nginx:1.25"}\n';
    const response = await post('/v1/manifests/default?alwaysPullImages=true', pod, { 'content-type': 'application/x-yaml', accept: 'application/json' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ format: 'yaml', manifests: pod.replace('"nginx:1.25"}', '"nginx:1.25", imagePullPolicy: Always}'), containers: [{ reason: 'AlwaysPullImages' }] });
  });

  it('malformed YAML is a 400 InvalidManifest with line and column', async () => {
    const response = await post('/v1/manifests/default', 'kind: Pod\nspec: [1,\n', { 'content-type': 'application/yaml' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('InvalidManifest');
    expect(response.json().error.message).toMatch(/^manifests: malformed YAML at line \d+, column \d+: /);
  });

  it.each([
    [{}, 'manifests is required'],
    [{ manifests: 5 }, 'manifests must be YAML or JSON text, a Kubernetes object or a list of objects'],
    [{ manifests: 'a: 1', update: 'merge' }, 'update must be one of apply, replace'],
    [{ manifests: 'a: 1', bogus: true }, 'property bogus should not exist'],
  ])('validates %j', async (body, message) => {
    const response = await post('/v1/manifests/default', body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'InvalidRequest', message } });
  });

  it('rejects unknown query parameters for raw YAML', async () => {
    const response = await post('/v1/manifests/default?previous=x', 'a: 1\n', { 'content-type': 'text/yaml' });
    expect(response.statusCode).toBe(400);
  });
});

describe('GraphQL', () => {
  it('defaultPullPolicy', async () => {
    const response = await graphql('{ defaultPullPolicy(image: "nginx:latest@sha256:' + 'a'.repeat(64) + '") { image imagePullPolicy defaulted imageValid reason warnings } }');
    expect(response.json().data.defaultPullPolicy).toMatchObject({ imagePullPolicy: 'Always', defaulted: true, imageValid: true, reason: 'TagLatest' });
  });

  it('defaultPullPolicy errors carry the code', async () => {
    const response = await graphql('{ defaultPullPolicy(image: "nginx", imagePullPolicy: "always") { imagePullPolicy } }');
    expect(response.json().errors[0].extensions.code).toBe('InvalidPullPolicy');
  });

  it('defaultManifests', async () => {
    const manifests = 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: c\n    image: nginx\n';
    const response = await graphql(
      'query ($m: String!) { defaultManifests(manifests: $m) { format manifests warnings errors containers { kind name container path image imagePullPolicy podPullPolicy defaulted reason containerType document item previous { image } } } }',
      { m: manifests },
    );
    const result = response.json().data.defaultManifests;
    expect(result.format).toBe('yaml');
    expect(result.manifests).toBe(`${manifests}    imagePullPolicy: Always\n`);
    expect(result.containers[0]).toEqual({ kind: 'Pod', name: 'p', container: 'c', path: 'spec.containers[0]', image: 'nginx', imagePullPolicy: 'Always', podPullPolicy: 'Always', defaulted: true, reason: 'NoTag', containerType: 'containers', document: 0, item: null, previous: null });
  });

  it('defaultManifests with malformed YAML is InvalidManifest', async () => {
    const response = await graphql('{ defaultManifests(manifests: "a: [") { format } }');
    expect(response.json().errors[0].extensions.code).toBe('InvalidManifest');
  });
});

import 'reflect-metadata';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Injectable, Module } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ApiExceptionFilter } from '../common/api-exception.filter.js';
import { ApiError, ErrorCode } from '../common/errors.js';
import { formatGraphqlError } from '../common/graphql-errors.js';
import { LOGGER } from '../common/logger.js';
import { formatSchemaErrors } from '../common/schema-errors.js';
import { RequestValidationPipe } from '../common/validation.js';
import { AuthState } from '../auth/auth-state.js';
import { registerDirectRoutes } from '../common/direct-routes.js';
import { DecisionModule } from './decision.module.js';
import { decisionRoutes } from './decision.routes.js';
import { DecisionService } from './decision.service.js';
import type { DigestLookup, DigestLookupAnswer, DigestLookupOptions } from './digest-lookup.port.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

/** A registry stand-in: digests per normalised reference; `private/*` needs a secret containing "good". */
@Injectable()
class FakeRegistry implements DigestLookup {
  digests = new Map<string, string>([
    ['docker.io/library/nginx:1.25', D1],
    ['docker.io/library/nginx:latest', D2],
    ['registry.example.com/private/app:1', D1],
  ]);
  down = false;
  calls: Array<{ image: string; options: DigestLookupOptions }> = [];

  async resolve(image: string, options: DigestLookupOptions): Promise<DigestLookupAnswer> {
    this.calls.push({ image, options });
    if (this.down) throw new ApiError(ErrorCode.RegistryUnavailable, 'registry registry-1.docker.io is unavailable');
    if (image.includes('/private/') && !(options.pullSecrets ?? []).some((s) => s.dockerconfigjson.includes('good'))) {
      throw new ApiError(ErrorCode.RegistryUnauthorized, 'registry refused the credentials');
    }
    const digest = this.digests.get(image);
    if (digest === undefined) throw new ApiError(ErrorCode.ManifestUnknown, `${image} not found at registry`);
    return { digest, platform: null, stale: false };
  }
}

@Module({ providers: [FakeRegistry], exports: [FakeRegistry] })
class FakeRegistryModule {}

@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({ driver: ApolloDriver, path: '/graphql', autoSchemaFile: true, playground: false, formatError: formatGraphqlError }),
    DecisionModule.withDigestLookup([FakeRegistryModule], FakeRegistry),
  ],
  providers: [{ provide: APP_FILTER, useClass: ApiExceptionFilter }, { provide: LOGGER, useValue: pino({ level: 'silent' }) }],
})
class TestModule {}

let app: NestFastifyApplication;
let registry: FakeRegistry;

beforeAll(async () => {
  const adapter = new FastifyAdapter({ ajv: { customOptions: { coerceTypes: false, removeAdditional: false } }, schemaErrorFormatter: formatSchemaErrors });
  app = await NestFactory.create<NestFastifyApplication>(TestModule, adapter, { logger: false, bodyParser: false });
  app.useGlobalPipes(new RequestValidationPipe());
  await app.init();
  // POST /v1/pull-decisions is a direct Fastify route: registered as createApp does (authentication off).
  registerDirectRoutes(app.getHttpAdapter().getInstance(), decisionRoutes(app.get(DecisionService)), new AuthState(null, []));
  await app.getHttpAdapter().getInstance().ready();
  registry = app.get(FakeRegistry);
});
afterAll(async () => app?.close());
beforeEach(() => {
  registry.down = false;
  registry.calls = [];
});

const post = (url: string, payload: unknown) => app.inject({ method: 'POST', url, payload: payload as object, headers: { 'content-type': 'application/json' } });
const graphql = (query: string, variables?: Record<string, unknown>) => post('/graphql', { query, variables });

describe('POST /v1/pull-decisions', () => {
  it('answers every field of the contract', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx:1.25', node: { images: [{ references: ['nginx:1.24'] }] } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      image: 'nginx:1.25',
      imagePullPolicy: 'IfNotPresent',
      policySource: 'defaulted',
      action: 'Pull',
      reason: 'ImageNotPresent',
      message: 'Pulling image "nginx:1.25"',
      pullReference: `docker.io/library/nginx@${D1}`,
      resolvedDigest: D1,
      localDigest: null,
      // Issue 12, item 4: no node.kubeletVersion means the newest modelled kubelet (1.37), where KubeletEnsureSecretPulledImages
      // is on by default (kube_features.go: beta, on from 1.35); this expectation was the gate-off (1.34) answer before.
      credentialVerification: { enabled: true, policy: 'NeverVerifyPreloadedImages', required: false, outcome: 'NotApplicable', rule: 'ImageNotPresent', message: expect.any(String), assumed: [] },
      kubelet: {
        version: '1.37',
        assumed: true,
        featureGates: {
          KubeletEnsureSecretPulledImages: { enabled: true, byDefault: true, stage: 'beta', source: 'kubeletVersion' },
          ImageVolume: { enabled: true, byDefault: true, stage: 'GA', source: 'kubeletVersion' },
        },
      },
      registry: { consulted: true, source: 'lookup', reference: 'docker.io/library/nginx:1.25', status: 'ok', digest: D1, stale: false, error: null },
      event: { type: 'Normal', reason: 'Pulling', message: 'Pulling image "nginx:1.25"' },
      events: [
        { type: 'Normal', reason: 'Pulling', message: 'Pulling image "nginx:1.25"' },
        { type: 'Normal', reason: 'Pulled', message: 'Successfully pulled image "nginx:1.25" in <duration> (<duration> including waiting). Image size: <bytes> bytes.' },
      ],
      waiting: null,
      backOff: null,
      plugins: [],
      warnings: [],
    });
  });

  it('Always with the tag moved: pull by the new digest', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx', node: { images: [{ references: ['nginx:latest'], digest: D1 }] } });
    expect(response.json()).toMatchObject({ imagePullPolicy: 'Always', action: 'Pull', reason: 'TagMoved', pullReference: `docker.io/library/nginx@${D2}`, localDigest: D1 });
  });

  it('Always with the registry down fails even with the image on the node', async () => {
    registry.down = true;
    const response = await post('/v1/pull-decisions', { image: 'nginx:1.25', imagePullPolicy: 'Always', node: { images: [{ references: ['nginx:1.25'], digest: D1 }] } });
    expect(response.json()).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'unavailable', error: { code: 'RegistryUnavailable' } } });
  });

  it('a missing image is predicted as ErrImagePull before anyone deploys', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx:9.99' });
    expect(response.json()).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'notFound' } });
  });

  it('a private repository with and without the right secret', async () => {
    const image = 'registry.example.com/private/app:1';
    const without = await post('/v1/pull-decisions', { image, pod: { namespace: 'team' } });
    expect(without.json()).toMatchObject({ action: 'Fail', reason: 'ErrImagePull', registry: { status: 'unauthorized' } });
    const withSecret = await post('/v1/pull-decisions', { image, pod: { namespace: 'team', imagePullSecrets: [{ name: 'regcred', dockerconfigjson: '{"auths":{"registry.example.com":{"username":"good","password":"pw"}}}' }] } });
    expect(withSecret.json()).toMatchObject({ action: 'Pull', reason: 'ImageNotPresent', resolvedDigest: D1 });
    expect(registry.calls.at(-1)?.options).toEqual({ pullSecrets: [{ dockerconfigjson: '{"auths":{"registry.example.com":{"username":"good","password":"pw"}}}' }] });
  });

  it('a simulated registry answer is used instead of asking', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx:1.25', registry: { available: false } });
    expect(response.json()).toMatchObject({ action: 'Fail', registry: { source: 'simulated', status: 'unavailable' } });
    expect(registry.calls).toEqual([]);
  });

  it('Never and IfNotPresent with the image present do not ask the registry', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx:1.25', imagePullPolicy: 'Never', node: { images: [{ references: ['nginx:1.25'] }] } });
    expect(response.json()).toMatchObject({ action: 'UseLocal', registry: { consulted: false } });
    expect(registry.calls).toEqual([]);
  });

  it.each([
    [{}, 'image is required'],
    [{ image: 1 }, 'image must be a string'],
    [{ image: 'nginx', bogus: 1 }, 'property bogus should not exist'],
    [{ image: 'nginx', node: { images: [{}] } }, 'node.images[0].references is required'],
  ])('validates the body %j', async (body, message) => {
    const response = await post('/v1/pull-decisions', body);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'InvalidRequest', message } });
  });

  it('an invalid verification policy or allowlist entry is a 400 naming it', async () => {
    const policy = await post('/v1/pull-decisions', { image: 'nginx', node: { credentialVerification: { policy: 'NeverVerifyAllowListedImages' } } });
    expect(policy.statusCode).toBe(400);
    expect(policy.json().error.message).toContain('option "NeverVerifyAllowListedImages" specified for imagePullCredentialsVerificationPolicy');
    const entry = await post('/v1/pull-decisions', { image: 'nginx', node: { credentialVerification: { policy: 'NeverVerifyAllowlistedImages', allowlist: ['alpine'] } } });
    expect(entry.statusCode).toBe(400);
    expect(entry.json().error.message).toMatch(/^node\.credentialVerification\.allowlist\[0\]: .*alpine/);
  });

  it('an unsupported imagePullPolicy is InvalidPullPolicy', async () => {
    const response = await post('/v1/pull-decisions', { image: 'nginx', imagePullPolicy: 'sometimes' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('InvalidPullPolicy');
  });
});

describe('POST /v1/pull-decisions/batch', () => {
  it('answers in order, errors per item, one registry call per distinct reference', async () => {
    const response = await post('/v1/pull-decisions/batch', {
      decisions: [{ image: 'nginx:1.25' }, { image: 'nginx:1.25' }, { image: 'nginx', imagePullPolicy: 'bad' }, { image: 'nginx:1.25', imagePullPolicy: 'Always' }],
    });
    expect(response.statusCode).toBe(200);
    const { results } = response.json();
    expect(results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, false, true]);
    expect(results[2].error.code).toBe('InvalidPullPolicy');
    expect(registry.calls.map((c) => c.image)).toEqual(['docker.io/library/nginx:1.25']);
  });

  it('needs 1 to 1000 decisions', async () => {
    expect((await post('/v1/pull-decisions/batch', { decisions: [] })).json()).toEqual({ error: { code: 'InvalidRequest', message: 'decisions must contain at least 1 item' } });
  });
});

describe('GraphQL', () => {
  const fields = 'image imagePullPolicy policySource action reason message pullReference resolvedDigest localDigest credentialVerification { enabled policy required outcome rule } registry { consulted source status digest error { code } } event { type reason message } waiting { reason message } backOff { reason delaysSeconds } plugins { name } warnings';

  it('pullDecision', async () => {
    const response = await graphql(`query ($input: PullDecisionInput!) { pullDecision(input: $input) { ${fields} } }`, {
      input: { image: 'nginx:1.25', imagePullPolicy: 'Never', node: { images: [{ references: ['nginx:1.25'], pulledWith: [{ anonymous: true }] }], credentialVerification: { policy: 'AlwaysVerify' } } },
    });
    expect(response.json().errors).toBeUndefined();
    expect(response.json().data.pullDecision).toMatchObject({
      action: 'UseLocal',
      message: 'Container image "nginx:1.25" already present on machine and can be accessed by the pod',
      credentialVerification: { enabled: true, policy: 'AlwaysVerify', required: true, outcome: 'Verified', rule: 'NodeAccessible' },
    });
  });

  it('many decisions in one query share registry lookups', async () => {
    const response = await graphql(`query ($inputs: [PullDecisionInput!]!) { pullDecisions(inputs: $inputs) { ok error { code message } decision { action reason } } }`, {
      inputs: [{ image: 'nginx:1.25' }, { image: 'nginx:1.25', imagePullPolicy: 'Always' }, { image: 'Nginx' }],
    });
    expect(response.json().data.pullDecisions).toEqual([
      { ok: true, error: null, decision: { action: 'Pull', reason: 'ImageNotPresent' } },
      { ok: true, error: null, decision: { action: 'Pull', reason: 'PullPolicyAlways' } },
      { ok: true, error: null, decision: { action: 'Fail', reason: 'InvalidImageName' } },
    ]);
    expect(registry.calls).toHaveLength(1);
  });

  it('errors carry the service\'s codes', async () => {
    const response = await graphql('{ pullDecision(input: { image: "nginx", node: { credentialVerification: { policy: "Bogus" } } }) { action } }');
    expect(response.json().errors[0].extensions.code).toBe('InvalidRequest');
  });
});

describe('POST /v1/pull-decisions/manifests (a whole Deployment in one call)', () => {
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: team}
spec:
  template:
    spec:
      imagePullSecrets: [{name: regcred}]
      initContainers:
      - {name: migrate, image: "registry.example.com/private/app:1"}
      containers:
      - name: web
        image: nginx:1.25
      - name: edge
        image: nginx
`;

  it('decides every container with the pod\'s credentials, asking the registry once per reference', async () => {
    const response = await post('/v1/pull-decisions/manifests', {
      manifests: deployment,
      node: { images: [{ references: ['nginx:1.25'], digest: D1 }] },
      secrets: [{ namespace: 'team', name: 'regcred', uid: 'u1', dockerconfigjson: '{"auths":{"registry.example.com":{"username":"good","password":"pw"}}}' }],
    });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.results.map((r: any) => [r.container, r.namespace, r.decision.imagePullPolicy, r.decision.policySource, r.decision.action, r.decision.reason])).toEqual([
      ['migrate', 'team', 'IfNotPresent', 'defaulted', 'Pull', 'ImageNotPresent'],
      ['web', 'team', 'IfNotPresent', 'defaulted', 'UseLocal', 'ImagePresent'],
      ['edge', 'team', 'Always', 'defaulted', 'Pull', 'PullPolicyAlways'],
    ]);
    expect(registry.calls.map((c) => c.image).sort()).toEqual(['docker.io/library/nginx:latest', 'registry.example.com/private/app:1']);
  });

  it('without the secret\'s content the private image is predicted to fail', async () => {
    const body = (await post('/v1/pull-decisions/manifests', { manifests: deployment })).json();
    expect(body.results[0].decision).toMatchObject({ action: 'Fail', reason: 'ErrImagePull' });
  });

  it('a container with an unsupported policy gets its own error', async () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'nginx', imagePullPolicy: 'sometimes' }, { name: 'b', image: 'nginx:1.25', imagePullPolicy: 'Never' }] } };
    const body = (await post('/v1/pull-decisions/manifests', { manifests: [pod] })).json();
    expect(body.results[0]).toMatchObject({ decision: null, error: { code: 'InvalidPullPolicy' }, namespace: 'default' });
    expect(body.results[1].decision).toMatchObject({ policySource: 'given', action: 'Fail', reason: 'ErrImageNeverPull' });
    expect(body.errors[0]).toContain('Unsupported value: "sometimes"');
  });

  it('GraphQL manifestPullDecisions', async () => {
    const response = await graphql('query ($m: String!) { manifestPullDecisions(manifests: $m, registry: { exists: false }) { results { container decision { action reason } } warnings errors } }', { m: deployment });
    expect(response.json().data.manifestPullDecisions.results.map((r: any) => r.decision.reason)).toEqual(['ErrImagePull', 'ErrImagePull', 'ErrImagePull']);
  });

  it('malformed YAML is InvalidManifest', async () => {
    const response = await post('/v1/pull-decisions/manifests', { manifests: 'a: [' });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('InvalidManifest');
  });
});

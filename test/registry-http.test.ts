import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type TestProxy } from './support/proxy.js';
import { OCI_INDEX, RegistryPusher } from './support/registry-push.js';
import { startTestApp as startRegistryTestApp } from './support/app.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

let registry: RegistryServer;
let proxy: TestProxy;
let app: NestFastifyApplication;
let http: ReturnType<typeof request>;
let push: RegistryPusher;
const tmp = mkdtempSync(join(tmpdir(), 'ips-http-'));

beforeAll(async () => {
  registry = await startRegistry({ kind: 'htpasswd', users: { carol: 'carol-secret-pw' } });
  proxy = await startProxy(registry.port);
  push = new RegistryPusher(registry.url, () => `Basic ${Buffer.from('carol:carol-secret-pw').toString('base64')}`);
  // Node credentials cover only the `public/` repositories (a key path is a prefix of the image path).
  const authFile = join(tmp, 'config.json');
  writeFileSync(authFile, JSON.stringify({ auths: { [`${proxy.host}/public`]: { auth: Buffer.from('carol:carol-secret-pw').toString('base64') } } }));
  app = await startRegistryTestApp({ REGISTRY_PLAIN_HTTP: proxy.host, REGISTRY_AUTH_FILE: authFile });
  http = request(app.getHttpServer());
});
afterAll(async () => {
  await app?.close();
  await proxy?.close();
  await registry?.dispose();
  rmSync(tmp, { recursive: true, force: true });
});

const secretFor = (host: string) => JSON.stringify({ auths: { [host]: { username: 'carol', password: 'carol-secret-pw' } } });

describe('REST /v1/digests', () => {
  it('GET answers with node credentials from REGISTRY_AUTH_FILE', async () => {
    const pushed = await push.pushImage('public/app', 'v1');
    const res = await http.get('/v1/digests').query({ image: `${proxy.host}/public/app:v1` }).expect(200);
    expect(res.body).toEqual({
      image: `${proxy.host}/public/app:v1`,
      reference: `${proxy.host}/public/app:v1`,
      digest: pushed.digest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      platform: null,
      source: 'registry',
      stale: false,
      resolvedAt: expect.any(String),
      expiresAt: expect.any(String),
    });
    const cached = await http.get('/v1/digests').query({ image: `${proxy.host}/public/app:v1`, platform: 'linux/amd64' }).expect(200);
    expect(cached.body).toMatchObject({ source: 'cache', platform: { platform: 'linux/amd64', digest: pushed.digest } });
  });

  it('GET answers the digest answer of the contract', async () => {
    const { descriptor, children } = await push.pushIndex('web/app', 'v1', [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    // The registry needs credentials: POST with a pull secret first proves the private path works …
    const res = await http
      .post('/v1/digests')
      .send({ images: [`${proxy.host}/web/app:v1`, 'Nginx', `${proxy.host}/web/none:v1`], platform: 'linux/arm64', pullSecrets: [{ dockerconfigjson: secretFor(proxy.host) }] })
      .expect(200);
    expect(res.body.results).toHaveLength(3);
    expect(res.body.results[0]).toMatchObject({
      ok: true,
      image: `${proxy.host}/web/app:v1`,
      digest: descriptor.digest,
      mediaType: OCI_INDEX,
      platform: { platform: 'linux/arm64/v8', digest: children[1].descriptor.digest },
      source: 'registry',
      stale: false,
    });
    expect(res.body.results[1]).toEqual({ ok: false, input: 'Nginx', error: { code: 'InvalidReference', message: expect.any(String) } });
    expect(res.body.results[2]).toMatchObject({ ok: false, input: `${proxy.host}/web/none:v1`, error: { code: 'ManifestUnknown' } });
    expect(JSON.stringify(res.body)).not.toContain('carol-secret-pw');
    // … and without credentials the same image is a 502 RegistryUnauthorized.
    const denied = await http.get('/v1/digests').query({ image: `${proxy.host}/web/app:v1` }).expect(502);
    expect(denied.body).toEqual({ error: { code: 'RegistryUnauthorized', message: expect.any(String) } });
  });

  it('GET maps errors to the contract codes', async () => {
    expect((await http.get('/v1/digests').query({ image: 'Nginx' }).expect(400)).body.error.code).toBe('InvalidReference');
    expect((await http.get('/v1/digests').expect(400)).body.error).toEqual({ code: 'InvalidRequest', message: 'image is required' });
    expect((await http.get('/v1/digests').query({ image: 'nginx', platform: 'linux' }).expect(400)).body.error.code).toBe('InvalidRequest');
    expect((await http.get('/v1/digests').query({ image: '169.254.169.254/x:y' }).expect(403)).body.error.code).toBe('RegistryNotAllowed');
    expect((await http.get('/v1/digests').query({ image: '[::ffff:7f00:1]:5000/x:y' }).expect(403)).body.error.code).toBe('RegistryNotAllowed');
  });

  it('POST validates its body', async () => {
    expect((await http.post('/v1/digests').send({ images: [] }).expect(400)).body.error.message).toBe('images must contain at least 1 item');
    expect((await http.post('/v1/digests').send({ images: ['nginx'], pullSecrets: [{}] }).expect(400)).body.error.code).toBe('InvalidRequest');
    const bad = await http.post('/v1/digests').send({ images: ['nginx'], pullSecrets: [{ dockerconfigjson: '{"auths":{"x":{"auth":"c2VjcmV0"}}}' }] }).expect(400);
    expect(bad.body.error.code).toBe('InvalidRequest');
    expect(bad.body.error.message).not.toContain('c2VjcmV0');
  });
});

describe('GraphQL digest and digests', () => {
  const gql = (query: string, variables?: Record<string, unknown>) => http.post('/graphql').send({ query, variables }).expect(200);

  it('batches identical images of one query into one lookup', async () => {
    await push.pushImage('web/gql', 'v1');
    const secret = secretFor(proxy.host);
    const image = `${proxy.host}/web/gql:v1`;
    const before = proxy.manifestRequests().length;
    const res = await gql(
      `query($images: [String!]!, $secrets: [PullSecretInput!]) {
        digests(images: $images, pullSecrets: $secrets) { ok input answer { digest source stale } error { code message } }
      }`,
      { images: [image, image, image, 'Nginx'], secrets: [{ dockerconfigjson: secret }] },
    );
    const results = res.body.data.digests;
    expect(results.map((r: { ok: boolean }) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3].error.code).toBe('InvalidReference');
    expect(proxy.manifestRequests().length - before).toBe(1);
  });

  it('digest answers one image and reports errors with extensions.code', async () => {
    const res = await gql(`{ ok: digest(image: "169.254.169.254/x:y") { digest } bad: digest(image: "Nginx") { digest } }`);
    expect(res.body.data).toEqual({ ok: null, bad: null });
    const codes = res.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code).sort();
    expect(codes).toEqual(['InvalidReference', 'RegistryNotAllowed']);
  });
});

describe('operations', () => {
  it('/readyz reports the digest cache and /metrics the lookup metrics', async () => {
    const ready = await http.get('/readyz').expect(200);
    expect(ready.body.checks.digestCache).toMatchObject({ ready: true, degraded: false });
    const metrics = await http.get('/metrics').expect(200);
    for (const name of ['image_policy_digest_lookups_total', 'image_policy_registry_requests_total', 'image_policy_digest_cache_entries', 'image_policy_digest_cache_hit_ratio']) {
      expect(metrics.text).toContain(name);
    }
    expect(metrics.text).not.toContain('carol-secret-pw');
  });
});

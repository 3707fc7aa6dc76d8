import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DigestService } from '../src/registry/digest.service.js';
import { digestService } from './support/digest-service.js';
import { startProxy, type TestProxy } from './support/proxy.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';
import { startTokenServer, type TokenServer } from './support/token-server.js';
import { apiErrorOf } from './support/api-error.js';

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const dockerConfig = (entries: Record<string, Record<string, string>>): string => JSON.stringify({ auths: entries });
const authField = (user: string, password: string): { auth: string } => ({ auth: Buffer.from(`${user}:${password}`).toString('base64') });


const tmp = mkdtempSync(join(tmpdir(), 'ips-auth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('htpasswd Basic auth', () => {
  let registry: RegistryServer;
  let proxy: TestProxy;
  let redirected: TestProxy;
  let anonymous: DigestService;
  let withNodeCredentials: DigestService;
  let pushed: { digest: string };

  beforeAll(async () => {
    registry = await startRegistry({ kind: 'htpasswd', users: { alice: 'alice-secret-pw' } });
    const push = new RegistryPusher(registry.url, () => basic('alice', 'alice-secret-pw'));
    pushed = await push.pushImage('private/app', 'v1', { os: 'linux', architecture: 'arm64' });
    // The second proxy is another origin: blobs redirected there must arrive without our credentials.
    redirected = await startProxy(registry.port);
    proxy = await startProxy(registry.port, {
      intercept: (req) =>
        req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')
          ? { status: 307, headers: { location: `${redirected.url}${req.url}` } }
          : undefined,
    });
    const authFile = join(tmp, 'config.json');
    writeFileSync(authFile, dockerConfig({ [`http://${registry.host}/v2/`]: authField('alice', 'alice-secret-pw') }));
    const plain = [registry.host, proxy.host, redirected.host].join(',');
    anonymous = digestService({ REGISTRY_PLAIN_HTTP: plain });
    withNodeCredentials = digestService({ REGISTRY_PLAIN_HTTP: plain, REGISTRY_AUTH_FILE: authFile });
  });
  afterAll(async () => {
    await anonymous?.close();
    await withNodeCredentials?.close();
    await proxy?.close();
    await redirected?.close();
    await registry?.dispose();
  });

  it('uses node credentials from REGISTRY_AUTH_FILE', async () => {
    const answer = await withNodeCredentials.resolve(`${registry.host}/private/app:v1`);
    expect(answer.digest).toBe(pushed.digest);
  });

  it('refuses anonymous callers with RegistryUnauthorized', async () => {
    const err = await apiErrorOf(anonymous.resolve(`${registry.host}/private/app:v1`));
    expect(err.code).toBe('RegistryUnauthorized');
    expect(err.status).toBe(502);
  });

  it('uses pull secrets, trying every matching credential in order', async () => {
    const wrong = dockerConfig({ [`${registry.host}/private`]: authField('alice', 'wrong-password-123') });
    const right = dockerConfig({ [registry.host]: { username: 'alice', password: 'alice-secret-pw' } });
    const answer = await anonymous.resolve(`${registry.host}/private/app:v1`, { pullSecrets: [{ dockerconfigjson: wrong }, { dockerconfigjson: right }] });
    expect(answer.digest).toBe(pushed.digest);
    // The answer is cached under those credentials only: other callers are still asked to prove access.
    const refused = await apiErrorOf(anonymous.resolve(`${registry.host}/private/app:v1`, { pullSecrets: [{ dockerconfigjson: wrong }] }));
    expect(refused.code).toBe('RegistryUnauthorized');
    expect(refused.message).not.toContain('wrong-password-123');
    expect((await apiErrorOf(anonymous.resolve(`${registry.host}/private/app:v1`))).code).toBe('RegistryUnauthorized');
  });

  it('does not use a key whose port differs from the image\'s', async () => {
    const otherPort = dockerConfig({ '127.0.0.1:1': authField('alice', 'alice-secret-pw') });
    const err = await apiErrorOf(anonymous.resolve(`${registry.host}/private/app:v1`, { pullSecrets: [{ dockerconfigjson: otherPort }] }));
    expect(err.code).toBe('RegistryUnauthorized');
  });

  it('rejects a malformed pull secret without quoting it', async () => {
    const err = await apiErrorOf(anonymous.resolve(`${registry.host}/private/app:v1`, { pullSecrets: [{ dockerconfigjson: '{"auths": {"x": {"auth": "bm9jb2xvbg=="}}} s3cr3t' }] }));
    expect(err.code).toBe('InvalidRequest');
    expect(err.message).not.toContain('s3cr3t');
  });

  it('never forwards Authorization to another host on a redirect', async () => {
    const secret = dockerConfig({ [proxy.host]: authField('alice', 'alice-secret-pw') });
    // The redirect target cannot authenticate on its own: it forwards what it got to the registry.
    // Without credentials the registry refuses, so the target adds them itself after recording.
    redirected.options.intercept = (req) => {
      req.headers.authorization = basic('alice', 'alice-secret-pw');
      return undefined;
    };
    const answer = await anonymous.resolve(`${proxy.host}/private/app:v1`, { platform: 'linux/arm64', pullSecrets: [{ dockerconfigjson: secret }] });
    expect(answer.platform?.digest).toBe(pushed.digest);
    const blobAtProxy = proxy.requests.filter((r) => r.path.includes('/blobs/'));
    expect(blobAtProxy.length).toBeGreaterThan(0);
    expect(blobAtProxy.every((r) => r.authorization?.startsWith('Basic '))).toBe(true);
    const blobAtTarget = redirected.requests.filter((r) => r.path.includes('/blobs/'));
    expect(blobAtTarget).toHaveLength(1);
    expect(blobAtTarget[0].authorization).toBeUndefined();
  });
});

describe('token auth', () => {
  let tokens: TokenServer;
  let registry: RegistryServer;
  let service: DigestService;
  let pushed: { digest: string };
  let plain: string;

  beforeAll(async () => {
    tokens = await startTokenServer({ users: { bob: 'bob-secret-pw' }, anonymousPull: false, refreshToken: 'refresh-token-xyz' });
    registry = await startRegistry({ kind: 'token', realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, certificatePem: tokens.certificatePem });
    const push = new RegistryPusher(registry.url, (name) => `Bearer ${tokens.mint([{ name, actions: ['pull', 'push'] }])}`);
    pushed = await push.pushImage('secret/app', 'v1');
    await push.pushImage('secret/app', 'v2');
    await push.pushImage('secret/app', 'v3');
    plain = registry.host;
    // The token server is another loopback port: let it past the egress guard explicitly.
    service = digestService({ REGISTRY_PLAIN_HTTP: plain, REGISTRY_ALLOW_HOSTS: `127.0.0.1:${tokens.port}` });
  });
  afterAll(async () => {
    await service?.close();
    await registry?.dispose();
    await tokens?.close();
  });

  it('refuses anonymous callers when the token server does', async () => {
    const err = await apiErrorOf(service.resolve(`${registry.host}/secret/app:v1`));
    expect(err.code).toBe('RegistryUnauthorized');
  });

  it('gets a token with Basic credentials and reuses it across lookups', async () => {
    const creds = [{ dockerconfigjson: dockerConfig({ [registry.host]: authField('bob', 'bob-secret-pw') }) }];
    const before = tokens.requests.length;
    const first = await service.resolve(`${registry.host}/secret/app:v1`, { pullSecrets: creds });
    expect(first.digest).toBe(pushed.digest);
    await service.resolve(`${registry.host}/secret/app:v2`, { pullSecrets: creds });
    await service.resolve(`${registry.host}/secret/app:v3`, { pullSecrets: creds });
    const issued = tokens.requests.slice(before);
    expect(issued).toHaveLength(1);
    expect(issued[0]).toMatchObject({ authorized: true, user: 'bob' });
    expect(issued[0].url).toContain('scope=repository%3Asecret%2Fapp%3Apull');
    expect(issued[0].url).toContain(`service=${tokens.service}`);
  });

  it('exchanges an identity token at the realm', async () => {
    const creds = [{ dockerconfigjson: dockerConfig({ [registry.host]: { identitytoken: 'refresh-token-xyz' } }) }];
    const answer = await service.resolve(`${registry.host}/secret/app:v1`, { pullSecrets: creds });
    expect(answer.digest).toBe(pushed.digest);
    expect(tokens.requests.at(-1)).toMatchObject({ user: 'refresh-token', authorized: true });
  });

  it('does not follow redirects from the token endpoint', async () => {
    const fresh = digestService({ REGISTRY_PLAIN_HTTP: plain, REGISTRY_ALLOW_HOSTS: `127.0.0.1:${tokens.port}` });
    tokens.redirectTo = `http://127.0.0.1:${tokens.port}/elsewhere`;
    try {
      const creds = [{ dockerconfigjson: dockerConfig({ [registry.host]: authField('bob', 'bob-secret-pw') }) }];
      const before = tokens.requests.length;
      const err = await apiErrorOf(fresh.resolve(`${registry.host}/secret/app:v1`, { pullSecrets: creds }));
      expect(err.code).toBe('RegistryUnauthorized');
      expect(err.message).toContain('redirect');
      expect(tokens.requests.slice(before).map((r) => r.url.split('?')[0])).toEqual(['/token']);
    } finally {
      tokens.redirectTo = null;
      await fresh.close();
    }
  });

  describe('a token realm pointing at a private address', () => {
    let proxy: TestProxy;
    beforeAll(async () => {
      proxy = await startProxy(registry.port);
    });
    afterAll(async () => proxy?.close());

    for (const realm of ['http://127.0.0.2:9/token', 'http://localhost:9/token', 'http://[::ffff:127.0.0.1]:9/token', 'http://169.254.169.254/latest/token']) {
      it(`is refused: ${realm}`, async () => {
        proxy.options.intercept = (req) =>
          req.url?.includes('/manifests/')
            ? { status: 401, headers: { 'www-authenticate': `Bearer realm="${realm}",service="x",scope="repository:secret/app:pull"` } }
            : undefined;
        const fresh = digestService({ REGISTRY_PLAIN_HTTP: proxy.host });
        try {
          const err = await apiErrorOf(fresh.resolve(`${proxy.host}/secret/app:v1`));
          expect(err.code).toBe('RegistryNotAllowed');
          expect(err.status).toBe(403);
        } finally {
          await fresh.close();
        }
      });
    }
  });
});

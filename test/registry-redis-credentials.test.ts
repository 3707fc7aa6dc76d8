/**
 * Credentials at rest (issue 11, item 5): with a real Redis and a real htpasswd registry, credentialed lookups
 * (node credentials, pull secrets over REST and GraphQL, a wrong password) leave nothing in Redis that a reader
 * could test password guesses against: no password, no base64(user:password), no unkeyed sha256 of the old
 * identity string, no CACHE_KEY_SECRET. The credential part of the keys is the HMAC under CACHE_KEY_SECRET,
 * so replicas with the same secret share answers and a process with another secret does not.
 */
import { createHash, createSecretKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialIdentity, credentialSetIdentity } from '../src/common/docker-credentials.js';
import { startTestApp } from './support/app.js';
import { startProxy, type TestProxy } from './support/proxy.js';
import { type RedisServer, startRedis } from './support/redis-server.js';
import { RegistryPusher } from './support/registry-push.js';
import { type RegistryServer, startRegistry } from './support/registry-server.js';

const SECRET = 'e2e-cache-key-secret-9d41c7f0b2a65e38';
const OTHER_SECRET = 'e2e-another-cache-key-secret-5c0a7e19';
const USERS = { alice: 'alice-Redis-pw-Zq81', bob: 'bob-Redis-pw-Kx37' };
const WRONG = { user: 'bob', password: 'bob-wrong-pw-Mv52' };

const base64 = (user: string, password: string): string => Buffer.from(`${user}:${password}`).toString('base64');
const dockerConfig = (host: string, user: string, password: string): string => JSON.stringify({ auths: { [host]: { auth: base64(user, password) } } });
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
/** The identity the service used to put in Redis keys: an unkeyed sha256, open to offline guessing. */
const oldIdentity = (user: string, password: string): string => sha256(`image-policy-service/credential/v1\0${user}\0${password}\0`).slice(0, 32);

const tmp = mkdtempSync(join(tmpdir(), 'ips-redis-credentials-'));
let registry: RegistryServer;
let proxy: TestProxy;
let redis: RedisServer;
let raw: Redis;
let image: string;
let pushed: { digest: string };
const apps: NestFastifyApplication[] = [];

async function app(env: Record<string, string>): Promise<NestFastifyApplication> {
  const started = await startTestApp(env);
  apps.push(started);
  return started;
}

beforeAll(async () => {
  [registry, redis] = await Promise.all([startRegistry({ kind: 'htpasswd', users: USERS }), startRedis()]);
  pushed = await new RegistryPusher(registry.url, () => `Basic ${base64('alice', USERS.alice)}`).pushImage('private/app', 'v1', { os: 'linux', architecture: 'amd64' });
  proxy = await startProxy(registry.port); // counts the manifest requests that reach the registry
  image = `${proxy.host}/private/app:v1`;
  raw = new Redis(redis.url);
});
afterAll(async () => {
  for (const started of apps) await started.close();
  raw?.disconnect();
  await proxy?.close();
  await Promise.all([registry?.dispose(), redis?.dispose()]);
  rmSync(tmp, { recursive: true, force: true });
});

/** Every key in Redis with its value (GET) and its serialised form (DUMP). */
async function everything(): Promise<{ key: string; type: string; value: Buffer | null; dump: Buffer | null }[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await raw.scan(cursor, 'MATCH', '*', 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return Promise.all(
    keys.map(async (key) => {
      const type = await raw.type(key);
      return { key, type, value: type === 'string' ? await raw.getBuffer(key) : null, dump: await raw.dumpBuffer(key) };
    }),
  );
}

describe('credentialed lookups through a shared Redis', () => {
  let nodeCredentials: Record<string, string>;

  beforeAll(() => {
    const authFile = join(tmp, 'config.json');
    writeFileSync(authFile, dockerConfig(proxy.host, 'alice', USERS.alice));
    nodeCredentials = { REGISTRY_PLAIN_HTTP: proxy.host, REGISTRY_AUTH_FILE: authFile, REDIS_URL: redis.url, DIGEST_CACHE_TTL_SECONDS: '600' };
  });

  it('store nothing in Redis keys or values from which a password could be tested offline', async () => {
    const replica = await app({ ...nodeCredentials, CACHE_KEY_SECRET: SECRET });
    const bobSecret = { dockerconfigjson: dockerConfig(proxy.host, 'bob', USERS.bob) };
    const wrongSecret = { dockerconfigjson: dockerConfig(proxy.host, WRONG.user, WRONG.password) };

    // Node credentials (GET), a pull secret (REST, with a platform), a pull secret (GraphQL), a wrong password.
    const get = await replica.inject({ method: 'GET', url: `/v1/digests?image=${encodeURIComponent(image)}` });
    expect(get.statusCode, get.body).toBe(200);
    expect(get.json()).toMatchObject({ digest: pushed.digest });
    const post = await replica.inject({ method: 'POST', url: '/v1/digests', payload: { images: [image], platform: 'linux/amd64', pullSecrets: [bobSecret] } });
    expect(post.statusCode, post.body).toBe(200);
    expect(post.json().results[0]).toMatchObject({ ok: true, digest: pushed.digest });
    const graphql = await replica.inject({
      method: 'POST',
      url: '/graphql',
      payload: { query: 'query($i: [String!]!, $s: [PullSecretInput!]) { digests(images: $i, pullSecrets: $s) { ok } }', variables: { i: [image], s: [bobSecret] } },
    });
    expect(graphql.json(), graphql.body).toMatchObject({ data: { digests: [{ ok: true }] } });
    // The wrong password is tried first, then alice's node credentials: the set answers, under its own identity.
    const wrong = await replica.inject({ method: 'POST', url: '/v1/digests', payload: { images: [`${proxy.host}/private/app:missing`], pullSecrets: [wrongSecret] } });
    expect(wrong.json().results[0]).toMatchObject({ ok: false });

    const entries = await everything();
    const refKeys = entries.map((e) => e.key).filter((key) => key.includes(':ref:'));
    expect(refKeys.length).toBeGreaterThanOrEqual(3); // the scan below is not vacuous
    // The credential part is the HMAC under CACHE_KEY_SECRET, as a replica holding the secret computes it.
    const key = createSecretKey(Buffer.from(SECRET));
    const alice = credentialIdentity({ username: 'alice', password: USERS.alice }, key);
    const bob = credentialIdentity({ username: 'bob', password: USERS.bob }, key);
    const bobThenAlice = credentialSetIdentity([{ identity: bob }, { identity: alice }], key);
    expect(refKeys).toContain(`image-policy:v1:ref:${alice}|${image}`);
    expect(refKeys).toContain(`image-policy:v1:ref:${bobThenAlice}|${image}`);

    const forbidden: Record<string, string> = { secret: SECRET };
    for (const [user, password] of [...Object.entries(USERS), [WRONG.user, WRONG.password]]) {
      forbidden[`${user}'s password ${password}`] = password;
      forbidden[`base64(${user}:${password})`] = base64(user, password);
      forbidden[`${user}:${password}`] = `${user}:${password}`;
      forbidden[`old sha256 identity of ${user}:${password}`] = oldIdentity(user, password);
    }
    const oldBob = oldIdentity('bob', USERS.bob);
    const oldWrong = oldIdentity(WRONG.user, WRONG.password);
    const oldAlice = oldIdentity('alice', USERS.alice);
    forbidden['old sha256 identity of bob then alice'] = sha256(`${oldBob},${oldAlice}`).slice(0, 32);
    forbidden['old sha256 identity of the wrong password then alice'] = sha256(`${oldWrong},${oldAlice}`).slice(0, 32);
    for (const [name, secret] of Object.entries({ bobSecret, wrongSecret })) forbidden[`sha256 of ${name}`] = sha256(JSON.stringify([secret.dockerconfigjson]));

    for (const entry of entries) {
      expect(entry.type, entry.key).toBe('string'); // so GET saw every value
      const texts = [entry.key, entry.value?.toString('utf8') ?? '', entry.dump?.toString('latin1') ?? ''];
      for (const [what, needle] of Object.entries(forbidden)) {
        for (const text of texts) expect(text.includes(needle), `${what} in ${entry.key}`).toBe(false);
      }
    }
  });

  it('replicas with the same CACHE_KEY_SECRET share credentialed answers; another secret does not read them', async () => {
    const first = await app({ ...nodeCredentials, CACHE_KEY_SECRET: SECRET });
    const path = `/v1/digests?image=${encodeURIComponent(`${proxy.host}/private/app:v1`)}`;
    expect((await first.inject({ method: 'GET', url: path })).json()).toMatchObject({ digest: pushed.digest });

    const before = proxy.manifestRequests().length;
    const sameSecret = await app({ ...nodeCredentials, CACHE_KEY_SECRET: SECRET });
    expect((await sameSecret.inject({ method: 'GET', url: path })).json()).toMatchObject({ digest: pushed.digest, source: 'cache' });
    const bobSecret = { dockerconfigjson: dockerConfig(proxy.host, 'bob', USERS.bob) };
    const post = await sameSecret.inject({ method: 'POST', url: '/v1/digests', payload: { images: [image], pullSecrets: [bobSecret] } });
    expect(post.json().results[0]).toMatchObject({ ok: true, digest: pushed.digest, source: 'cache' });
    expect(proxy.manifestRequests().length).toBe(before);

    const otherSecret = await app({ ...nodeCredentials, CACHE_KEY_SECRET: OTHER_SECRET });
    expect((await otherSecret.inject({ method: 'GET', url: path })).json()).toMatchObject({ digest: pushed.digest, source: 'registry' });
    expect(proxy.manifestRequests().length).toBeGreaterThan(before);
  });
});

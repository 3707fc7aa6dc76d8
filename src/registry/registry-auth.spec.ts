import { describe, expect, it } from 'vitest';
import { parseDockerConfig, randomIdentityKey } from '../common/docker-credentials.js';
import { RegistryAuth } from './registry-auth.js';
import { endpointFor, plainHttpSet } from './registry-endpoint.js';
import type { HttpRequest, HttpResponse, RegistryHttp } from './registry-http.js';
import { apiErrorOf } from '../../test/support/api-error.js';

/** Records token requests and answers them from a script (no network). */
function fakeHttp(answer: (req: HttpRequest) => Partial<HttpResponse>) {
  const sent: HttpRequest[] = [];
  const http = {
    send: async (req: HttpRequest): Promise<HttpResponse> => {
      sent.push(req);
      return { status: 200, headers: {}, body: Buffer.alloc(0), url: req.url, ...answer(req) };
    },
  } as unknown as RegistryHttp;
  return { http, sent };
}

const token = (value: string, extra: Record<string, unknown> = {}) => ({ body: Buffer.from(JSON.stringify({ token: value, ...extra })) });
const credential = parseDockerConfig({ auths: { x: { username: 'u', password: 'p' } } }, 't', randomIdentityKey()).x;
const https = endpointFor('reg.example', plainHttpSet([]));
const plain = endpointFor('127.0.0.1:5000', plainHttpSet(['127.0.0.1:5000']));
const ctx = (endpoint = https, c = credential) => ({ endpoint, scope: 'repository:team/app:pull', credential: c, deadline: Date.now() + 1_000 });


describe('RegistryAuth', () => {
  it('answers a Bearer challenge with a token fetched with Basic credentials, then sends it up front', async () => {
    const { http, sent } = fakeHttp(() => token('tok-1'));
    const auth = new RegistryAuth(http);
    const header = await auth.answerChallenge('Bearer realm="https://auth.example/token",service="reg"', ctx(), undefined);
    expect(header).toBe('Bearer tok-1');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ method: 'GET', followRedirects: false, authorization: `Basic ${Buffer.from('u:p').toString('base64')}` });
    expect(new URL(sent[0].url).searchParams.get('scope')).toBe('repository:team/app:pull');
    expect(await auth.preemptive(ctx())).toBe('Bearer tok-1');
    expect(sent).toHaveLength(1);
  });

  it('requires an https realm unless the registry is plain http', async () => {
    const { http, sent } = fakeHttp(() => token('t'));
    const auth = new RegistryAuth(http);
    const err = await apiErrorOf(auth.answerChallenge('Bearer realm="http://auth.example/token"', ctx(), undefined));
    expect(err.code).toBe('RegistryNotAllowed');
    expect(sent).toHaveLength(0);
    expect(await auth.answerChallenge('Bearer realm="http://127.0.0.1:6000/token"', ctx(plain), undefined)).toBe('Bearer t');
    expect((await apiErrorOf(auth.answerChallenge('Bearer realm="file:///etc/passwd"', ctx(plain), undefined))).code).toBe('RegistryNotAllowed');
  });

  it('does not follow token endpoint redirects and maps refusals', async () => {
    const redirect = new RegistryAuth(fakeHttp(() => ({ status: 302, headers: { location: 'https://elsewhere/' } })).http);
    expect((await apiErrorOf(redirect.answerChallenge('Bearer realm="https://a/t"', ctx(), undefined))).message).toContain('redirect');
    const refused = new RegistryAuth(fakeHttp(() => ({ status: 401 })).http);
    expect((await apiErrorOf(refused.answerChallenge('Bearer realm="https://a/t"', ctx(), undefined))).code).toBe('RegistryUnauthorized');
    const broken = new RegistryAuth(fakeHttp(() => ({ body: Buffer.from('{}') })).http);
    expect((await apiErrorOf(broken.answerChallenge('Bearer realm="https://a/t"', ctx(), undefined))).code).toBe('RegistryUnavailable');
  });

  it('gets a new token when the registry rejects the cached one', async () => {
    let n = 0;
    const auth = new RegistryAuth(fakeHttp(() => token(`tok-${++n}`, { access_token: 'ignored' })).http);
    const challenge = 'Bearer realm="https://a/t",service="s"';
    const first = await auth.answerChallenge(challenge, ctx(), undefined);
    expect(first).toBe('Bearer tok-1');
    expect(await auth.answerChallenge(challenge, ctx(), first)).toBe('Bearer tok-2');
  });

  it('Basic challenges use the credential directly; without one there is nothing to retry with', async () => {
    const auth = new RegistryAuth(fakeHttp(() => ({})).http);
    expect(await auth.answerChallenge('Basic realm="r"', ctx(), undefined)).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(await auth.answerChallenge('Basic realm="r"', { ...ctx(), credential: undefined }, undefined)).toBeUndefined();
  });

  it('exchanges identity tokens with an OAuth2 POST', async () => {
    const { http, sent } = fakeHttp(() => ({ body: Buffer.from('{"access_token":"at","expires_in":300}') }));
    const auth = new RegistryAuth(http);
    const idToken = parseDockerConfig({ auths: { x: { identitytoken: 'refresh-me' } } }, 't', randomIdentityKey()).x;
    expect(await auth.answerChallenge('Bearer realm="https://a/t",service="s"', ctx(https, idToken), undefined)).toBe('Bearer at');
    expect(sent[0].method).toBe('POST');
    expect(sent[0].authorization).toBeUndefined();
    expect(new URLSearchParams(sent[0].body).get('grant_type')).toBe('refresh_token');
  });
});

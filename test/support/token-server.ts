/**
 * A tiny token server for the registry's token auth, on 127.0.0.1: it signs RS256 JWTs with a test key
 * whose self-signed certificate (made by the `openssl` CLI) the registry trusts. It grants `pull` on
 * every requested repository to anonymous callers when `anonymousPull` is set, and `pull,push` to the
 * configured user; it counts requests and can be told to misbehave (redirect).
 */
import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.js';

export interface TokenServer {
  port: number;
  realm: string;
  service: string;
  issuer: string;
  certificatePem: string;
  /** Requests received, with whether they carried Basic credentials. */
  requests: { url: string; authorized: boolean; user: string | null }[];
  /** When set, the next answers are this redirect (to check redirects are not followed). */
  redirectTo: string | null;
  /** Mints a token directly (for pushing test images). */
  mint(scopes: { name: string; actions: string[] }[], expiresInSeconds?: number): string;
  close(): Promise<void>;
}

export interface TokenServerOptions {
  users: Record<string, string>;
  anonymousPull: boolean;
  /** `expires_in` in answers (omitted when undefined). */
  expiresIn?: number;
  /** An identity (refresh) token accepted in OAuth2 POSTs. */
  refreshToken?: string;
}

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** libtrust's key id: SHA-256 of the DER public key, first 240 bits, base32 in groups of 4. */
function libtrustKeyId(publicKeyDer: Buffer): string {
  const bytes = createHash('sha256').update(publicKeyDer).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{1,4}/g)?.join(':') ?? out;
}

export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ips-token-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    '-days', '2', '-subj', '/CN=image-policy-test-token-issuer',
  ], { stdio: 'ignore' });
  const privateKey = createPrivateKey(readFileSync(join(dir, 'key.pem')));
  const certificatePem = readFileSync(join(dir, 'cert.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  const kid = libtrustKeyId(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  const port = await freePort();
  const service = 'test-registry';
  const issuer = 'test-issuer';

  const mint = (scopes: { name: string; actions: string[] }[], expiresInSeconds = 300): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { typ: 'JWT', alg: 'RS256', kid };
    const claims = {
      iss: issuer, sub: 'test', aud: service, exp: now + expiresInSeconds, nbf: now - 10, iat: now,
      jti: Math.random().toString(36).slice(2),
      access: scopes.map((s) => ({ type: 'repository', name: s.name, actions: s.actions })),
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(sign('sha256', Buffer.from(input), privateKey))}`;
  };

  const state: TokenServer = {
    port,
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificatePem,
    requests: [],
    redirectTo: null,
    mint,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => answer(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  const answer = (req: IncomingMessage, res: ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (req.method === 'POST') {
      // OAuth2 refresh-token grant (docker's identitytoken): form fields instead of query and Basic.
      const form = new URLSearchParams(body);
      for (const [k, v] of form) if (k !== 'refresh_token') url.searchParams.append(k, v);
      const valid = form.get('grant_type') === 'refresh_token' && options.refreshToken !== undefined && form.get('refresh_token') === options.refreshToken;
      state.requests.push({ url: url.pathname + url.search, authorized: valid, user: valid ? 'refresh-token' : null });
      if (!valid) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
        return;
      }
      const scopes = url.searchParams.getAll('scope').flatMap((scope) => {
        const m = /^repository:([^:]+):(.+)$/.exec(scope);
        return m ? [{ name: m[1], actions: m[2].split(',') }] : [];
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: mint(scopes), expires_in: 300 }));
      return;
    }
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    let user: string | null = null;
    let valid = false;
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      user = decoded.slice(0, colon);
      valid = options.users[user] !== undefined && options.users[user] === decoded.slice(colon + 1);
    }
    state.requests.push({ url: url.pathname + url.search, authorized: valid, user });
    if (state.redirectTo) {
      res.writeHead(302, { location: state.redirectTo }).end();
      return;
    }
    if (basic && !valid) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    if (!valid && !options.anonymousPull) {
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    const scopes = url.searchParams.getAll('scope').flatMap((scope) => {
      const m = /^repository:([^:]+):(.+)$/.exec(scope);
      if (!m) return [];
      const wanted = m[2].split(',');
      const actions = valid ? wanted : wanted.filter((a) => a === 'pull');
      return [{ name: m[1], actions }];
    });
    const payload: Record<string, unknown> = { token: mint(scopes, options.expiresIn ?? 300), issued_at: new Date().toISOString() };
    if (options.expiresIn !== undefined) payload.expires_in = options.expiresIn;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  };
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return state;
}

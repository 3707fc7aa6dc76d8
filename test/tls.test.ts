/**
 * HTTPS from TLS_CERT_FILE / TLS_KEY_FILE with certificates made by openssl, and the certificate reloaded
 * in place when the files change (what cert-manager and Secret volumes do).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/config.js';
import { waitFor } from './support/net.js';

const dir = mkdtempSync(join(tmpdir(), 'ips-tls-'));
let app: NestFastifyApplication | null = null;
afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A self-signed certificate for localhost and 127.0.0.1 (EC P-256: fast to make). */
function makeCertificate(name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

function get(port: number, path: string, ca: Buffer | string): Promise<{ status: number; body: string; peer: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, ca, servername: 'localhost', agent: false }, (res) => {
      const peer = (res.socket as import('node:tls').TLSSocket).getPeerCertificate();
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('TLS', () => {
  it('serves HTTPS and reloads the certificate when the files change', async () => {
    const first = makeCertificate('first', 'image-policy-first');
    const second = makeCertificate('second', 'image-policy-second');
    const live = { cert: join(dir, 'tls.crt'), key: join(dir, 'tls.key') };
    writeFileSync(live.cert, execFileSync('cat', [first.cert]));
    writeFileSync(live.key, execFileSync('cat', [first.key]));
    const caBoth = execFileSync('cat', [first.cert, second.cert]);

    // The app's log in memory: the reloader's verdict on a changed file is the event the test waits for.
    const logged: Array<{ msg: string }> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n')) if (line !== '') logged.push(JSON.parse(line) as { msg: string });
        done();
      },
    });
    const config = loadConfig({ LOG_LEVEL: 'info', TLS_CERT_FILE: live.cert, TLS_KEY_FILE: live.key, TLS_RELOAD_INTERVAL_MS: '50', ACCESS_LOG: 'off' });
    app = await createApp(config, pino({ level: 'info' }, sink));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.getHttpServer().address() as { port: number }).port;

    const answer = await get(port, '/v1/references/parse?reference=nginx', caBoth);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ canonical: 'docker.io/library/nginx' });
    expect(answer.peer.subject.CN).toBe('image-policy-first');

    // Replace both files atomically, as a Secret volume update does.
    writeFileSync(`${live.cert}.new`, execFileSync('cat', [second.cert]));
    writeFileSync(`${live.key}.new`, execFileSync('cat', [second.key]));
    renameSync(`${live.key}.new`, live.key);
    renameSync(`${live.cert}.new`, live.cert);
    await waitFor(async () => (await get(port, '/healthz', caBoth)).peer.subject.CN === 'image-policy-second', 15_000, 'the new certificate');

    // A broken file keeps the previous certificate in force.
    const refused = (): number => logged.filter((line) => line.msg.startsWith('TLS certificate files changed but cannot be used')).length;
    const refusedBefore = refused(); // (a poll between the two renames above may have seen a mismatched pair)
    writeFileSync(live.cert, 'not a certificate');
    await waitFor(async () => refused() > refusedBefore, 15_000, 'the reloader to refuse the broken file');
    expect((await get(port, '/healthz', caBoth)).peer.subject.CN).toBe('image-policy-second');
  });

  it('stops the start when the pair does not match, naming the variable', async () => {
    const a = makeCertificate('a', 'a');
    const b = makeCertificate('b', 'b');
    await expect(createApp(loadConfig({ LOG_LEVEL: 'silent', TLS_CERT_FILE: a.cert, TLS_KEY_FILE: b.key }))).rejects.toThrow(/Invalid configuration: TLS_CERT_FILE and TLS_KEY_FILE do not make a usable certificate and key/);
    await expect(createApp(loadConfig({ LOG_LEVEL: 'silent', TLS_CERT_FILE: join(dir, 'missing.crt'), TLS_KEY_FILE: b.key }))).rejects.toThrow(/TLS_CERT_FILE names .*missing\.crt, which cannot be read \(ENOENT\)/);
  });
});

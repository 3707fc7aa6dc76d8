/**
 * A real CNCF distribution registry (Debian `docker-registry`, 2.8) on a free 127.0.0.1 port with a
 * temporary storage directory: no auth, htpasswd Basic auth, or token auth. `stop()` and `start()`
 * simulate an outage and recovery on the same port and storage.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort, killProcess, waitFor } from './net.js';

export type RegistryAuthMode =
  | { kind: 'none' }
  | { kind: 'htpasswd'; users: Record<string, string> }
  | { kind: 'token'; realm: string; service: string; issuer: string; certificatePem: string };

export interface RegistryServer {
  port: number;
  /** `127.0.0.1:<port>`, the reference domain and REGISTRY_PLAIN_HTTP entry. */
  host: string;
  url: string;
  dir: string;
  /** Last lines the registry printed (for failure messages). */
  output(): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stops and removes the storage directory. */
  dispose(): Promise<void>;
}

export async function startRegistry(auth: RegistryAuthMode = { kind: 'none' }): Promise<RegistryServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ips-registry-'));
  const port = await freePort();
  const lines: string[] = [];
  let authYaml = '';
  if (auth.kind === 'htpasswd') {
    // bcrypt cost 4: the registry accepts it and tests stay fast.
    const file = Object.entries(auth.users)
      .map(([user, password]) => `${user}:${bcrypt.hashSync(password, 4)}`)
      .join('\n');
    writeFileSync(join(dir, 'htpasswd'), `${file}\n`);
    authYaml = `auth:\n  htpasswd:\n    realm: test-realm\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth.kind === 'token') {
    writeFileSync(join(dir, 'token-cert.pem'), auth.certificatePem);
    authYaml =
      `auth:\n  token:\n    realm: ${auth.realm}\n    service: ${auth.service}\n    issuer: ${auth.issuer}\n` +
      `    rootcertbundle: ${join(dir, 'token-cert.pem')}\n`;
  }
  const config =
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\n` +
    `storage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\n  cache:\n    blobdescriptor: inmemory\n` +
    `http:\n  addr: 127.0.0.1:${port}\n  secret: test-secret\n` +
    authYaml;
  writeFileSync(join(dir, 'config.yml'), config);

  let child: ChildProcess | null = null;
  const url = `http://127.0.0.1:${port}`;

  const start = async (): Promise<void> => {
    const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    const keep = (chunk: Buffer): void => {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (lines.length > 50) lines.splice(0, lines.length - 50);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    let exited = false;
    proc.once('exit', () => {
      exited = true;
    });
    await waitFor(
      async () => {
        if (exited) throw new Error(`docker-registry exited: ${lines.join('\n')}`);
        const res = await fetch(`${url}/v2/`);
        await res.arrayBuffer();
        return res.status === 200 || res.status === 401;
      },
      10_000,
      'docker-registry',
    );
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    await killProcess(proc);
  };

  await start();
  return {
    port,
    host: `127.0.0.1:${port}`,
    url,
    dir,
    output: () => lines.join('\n'),
    start,
    stop,
    dispose: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

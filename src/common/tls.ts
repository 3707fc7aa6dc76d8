/**
 * HTTPS from TLS_CERT_FILE / TLS_KEY_FILE (PEM; the certificate file may hold the chain). The pair is checked
 * at start (a bad pair stops the start, naming the variable) and reloaded when either file changes, with
 * `server.setSecureContext`: new connections get the new certificate, open ones keep theirs. A half-written
 * or mismatched pair is logged and the previous certificate stays in force. This is what cert-manager and
 * Kubernetes Secret volumes need: they replace the files in place.
 */
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { type AppConfig, ConfigError } from '../config/config.js';
import { watchFiles } from './file-watch.js';

export interface TlsPair {
  cert: Buffer;
  key: Buffer;
}

type TlsConfig = Pick<AppConfig, 'tlsCertFile' | 'tlsKeyFile' | 'tlsReloadIntervalMs'>;

function read(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(variable, `names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/** Reads and checks the pair (throws ConfigError naming the variable); null when TLS is off. */
export function loadTlsPair(config: TlsConfig): TlsPair | null {
  if (config.tlsCertFile === null || config.tlsKeyFile === null) return null;
  const pair = { cert: read('TLS_CERT_FILE', config.tlsCertFile), key: read('TLS_KEY_FILE', config.tlsKeyFile) };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new ConfigError('TLS_CERT_FILE', `and TLS_KEY_FILE do not make a usable certificate and key: ${(error as Error).message}`);
  }
  return pair;
}

interface SecureServer {
  setSecureContext(options: TlsPair): void;
}

/** Reloads the certificate into `server` when the files change; returns a function that stops watching. */
export function watchTlsPair(server: SecureServer, config: TlsConfig, logger?: Logger): () => void {
  if (config.tlsCertFile === null || config.tlsKeyFile === null) return () => undefined;
  return watchFiles([config.tlsCertFile, config.tlsKeyFile], config.tlsReloadIntervalMs, () => {
    try {
      const pair = loadTlsPair(config) as TlsPair;
      server.setSecureContext(pair);
      logger?.info({ cert: config.tlsCertFile }, 'TLS certificate reloaded');
    } catch (error) {
      logger?.error({ problem: (error as Error).message }, 'TLS certificate files changed but cannot be used; the previous certificate stays in force');
    }
  });
}

/**
 * Loads the node's registry credentials (REGISTRY_AUTH_FILE, a docker config.json) once at start.
 * A file that cannot be read or parsed stops the start with a message naming the variable; its content
 * is never quoted.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config.js';
import { CredentialsError, type IdentityKey, Keyring, parseDockerConfig } from '../common/docker-credentials.js';

/** `key` keys the credentials' identities (see credentialIdentity). */
export function loadNodeKeyring(path: string | null, key: IdentityKey): Keyring {
  if (path === null) return new Keyring([]);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('REGISTRY_AUTH_FILE', `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    return new Keyring([parseDockerConfig(text, 'the file', key, 'file')]);
  } catch (err) {
    if (err instanceof CredentialsError) throw new ConfigError('REGISTRY_AUTH_FILE', `is not a valid docker config: ${err.message}`);
    throw err;
  }
}

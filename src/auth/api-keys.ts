/**
 * API keys: loaded from API_KEYS_FILE (JSON or YAML), kept only as sha256 digests, and matched in constant
 * time. A key file looks like
 *
 *   keys:
 *     - name: portal
 *       sha256: <hex sha256 of the key>
 *       scopes: [read, resolve]
 *
 * The key itself never enters the service's memory beyond the request that carries it, and never a log.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

/** `read`: parsing, defaulting, decisions, plugin list; `resolve`: anything that contacts a registry; `admission`: webhook and external data. */
export type Scope = 'read' | 'resolve' | 'admission';
export const SCOPES: readonly Scope[] = ['read', 'resolve', 'admission'];

export interface ApiKey {
  name: string;
  scopes: ReadonlySet<Scope>;
}

interface StoredKey extends ApiKey {
  digest: Buffer;
}

export class ApiKeysError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiKeysError';
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/** Checks a parsed key file; every problem names the entry. */
export function parseApiKeys(document: unknown, source = 'API_KEYS_FILE'): StoredKey[] {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) throw new ApiKeysError(`${source}: must be an object with a "keys" list`);
  const keys = (document as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new ApiKeysError(`${source}: "keys" must be a non-empty list`);
  const seen = new Set<string>();
  const digests = new Set<string>();
  return keys.map((entry: unknown, index): StoredKey => {
    const where = `${source}: keys[${index}]`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) throw new ApiKeysError(`${where} must be an object with name, sha256 and scopes`);
    const { name, sha256, scopes, ...rest } = entry as Record<string, unknown>;
    const unknown = Object.keys(rest);
    if (unknown.length > 0) throw new ApiKeysError(`${where} has unknown field ${unknown[0]} (expected name, sha256, scopes)`);
    if (typeof name !== 'string' || !NAME.test(name)) throw new ApiKeysError(`${where}.name must be 1–63 characters of letters, digits, ".", "_", "-"`);
    if (seen.has(name)) throw new ApiKeysError(`${where}.name "${name}" is used twice`);
    seen.add(name);
    if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) throw new ApiKeysError(`${where}.sha256 (key "${name}") must be 64 hex digits: the sha256 of the key, not the key`);
    const hex = sha256.toLowerCase();
    if (digests.has(hex)) throw new ApiKeysError(`${where}.sha256 (key "${name}") is the same key as another entry`);
    digests.add(hex);
    if (!Array.isArray(scopes) || scopes.length === 0) throw new ApiKeysError(`${where}.scopes (key "${name}") must be a non-empty list of ${SCOPES.join(', ')}`);
    for (const scope of scopes) {
      if (!SCOPES.includes(scope as Scope)) throw new ApiKeysError(`${where}.scopes (key "${name}") has "${String(scope)}"; scopes are ${SCOPES.join(', ')}`);
    }
    return { name, scopes: new Set(scopes as Scope[]), digest: Buffer.from(hex, 'hex') };
  });
}

export function readApiKeysFile(path: string): StoredKey[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ApiKeysError(`API_KEYS_FILE: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text); // YAML 1.2 is a superset of JSON: one parser for both
  } catch (error) {
    throw new ApiKeysError(`API_KEYS_FILE: ${path} is not valid JSON or YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  return parseApiKeys(document);
}

export type Identification = { ok: true; key: ApiKey } | { ok: false; problem: string };

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** The keys in force; `replace` swaps them atomically (file reload). */
export class ApiKeyStore {
  private keys: StoredKey[];

  constructor(keys: StoredKey[]) {
    this.keys = keys;
  }

  get size(): number {
    return this.keys.length;
  }

  replace(keys: StoredKey[]): void {
    this.keys = keys;
  }

  /**
   * The key an `Authorization` header carries. The presented key is hashed and compared with every stored
   * digest in constant time (no early exit), so timing reveals neither which key nor how much matched.
   */
  identify(authorization: string | undefined): Identification {
    if (authorization === undefined || authorization === '') return { ok: false, problem: 'API key required: send Authorization: Bearer <key>' };
    const match = BEARER.exec(authorization);
    if (match === null) return { ok: false, problem: 'Authorization header must be "Bearer <key>"' };
    const digest = createHash('sha256').update(match[1], 'utf8').digest();
    let found: StoredKey | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(digest, key.digest) && found === null) found = key;
    }
    return found === null ? { ok: false, problem: 'API key not recognised' } : { ok: true, key: found };
  }
}

/** sha256 hex of a key, as the key file wants it (`printf %s "$KEY" | sha256sum`). */
export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

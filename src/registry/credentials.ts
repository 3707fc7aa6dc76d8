/**
 * Registry credentials (pure): docker config files and pull secrets, matched to images with the
 * kubelet's keyring rules (pkg/credentialprovider/keyring.go). Secrets stay inside `Credential`
 * objects; everything that leaves this module (identities, errors) is derived without them.
 */
import { createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';

export interface Credential {
  username?: string;
  password?: string;
  /** OAuth2 refresh token (`identitytoken`): exchanged at the token realm. */
  identityToken?: string;
  /** Keyed hash (HMAC) of the secret material: safe for cache keys and logs. */
  identity: string;
}

export interface KeyringEntry {
  /** The schemeless key as the kubelet stores it: `host[:port][/path]`. */
  key: string;
  credential: Credential;
}

export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

/**
 * The key of credential identities: CACHE_KEY_SECRET (the same on every replica, so shared cache keys
 * agree), or a random per-process key when nothing is shared. Held as a KeyObject so that no log line,
 * JSON dump or inspection of the configuration can print it.
 */
export type IdentityKey = KeyObject;

/** 32 random bytes: for a process whose cache keys never leave it (no Redis). */
export function randomIdentityKey(): IdentityKey {
  return createSecretKey(randomBytes(32));
}

/**
 * HMAC-SHA256, not a plain hash (issue 11, item 5): identities end up in Redis keys, and anyone who can
 * read Redis could test password guesses offline against an unkeyed sha256 of the credential. Without the
 * key (never written to Redis, never logged) an identity reveals nothing about the secret. The fields are
 * JSON-encoded so that no two different credentials give the same input.
 */
function keyedIdentity(key: IdentityKey, domain: string, fields: readonly string[]): string {
  return createHmac('sha256', key)
    .update(JSON.stringify([`image-policy-service/${domain}/v2`, ...fields]))
    .digest('hex')
    .slice(0, 32);
}

/** A stable keyed hash of the secret material: equal for equal credentials under the same key. */
export function credentialIdentity(c: { username?: string; password?: string; identityToken?: string }, key: IdentityKey): string {
  return keyedIdentity(key, 'credential', [c.username ?? '', c.password ?? '', c.identityToken ?? '']);
}

/** Identity of an ordered list of candidate credentials (what a lookup was allowed to use). */
export function credentialSetIdentity(credentials: readonly Credential[], key: IdentityKey): string {
  if (credentials.length === 0) return 'anonymous';
  if (credentials.length === 1) return credentials[0].identity;
  return keyedIdentity(key, 'credential-set', credentials.map((c) => c.identity));
}

/** Identity of a request's pull secrets as given (their `.dockerconfigjson` texts, in order). */
export function pullSecretsIdentity(dockerConfigs: readonly string[], key: IdentityKey): string {
  return keyedIdentity(key, 'pull-secrets', dockerConfigs);
}

function makeCredential(fields: { username?: string; password?: string; identityToken?: string }, key: IdentityKey): Credential {
  return { ...fields, identity: credentialIdentity(fields, key) };
}

/**
 * Reads a docker config (`{"auths": {...}}`, as in `.dockerconfigjson` and `~/.docker/config.json`) or a
 * legacy `.dockercfg` (the entries at top level). `source` names the input in errors, which never quote it;
 * `key` keys the credentials' identities.
 */
export function parseDockerConfig(content: string | unknown, source: string, key: IdentityKey): Record<string, Credential> {
  let doc: unknown = content;
  if (typeof content === 'string') {
    try {
      doc = JSON.parse(content);
    } catch {
      throw new CredentialsError(`${source} is not valid JSON`);
    }
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CredentialsError(`${source} must be a JSON object`);
  const obj = doc as Record<string, unknown>;
  const auths = 'auths' in obj ? obj.auths : obj;
  if (auths === undefined || auths === null) return {};
  if (typeof auths !== 'object' || Array.isArray(auths)) throw new CredentialsError(`${source}: "auths" must be an object`);
  const out: Record<string, Credential> = {};
  for (const [location, raw] of Object.entries(auths as Record<string, unknown>)) {
    if (!raw || typeof raw !== 'object') throw new CredentialsError(`${source}: the entry for a registry is not an object`);
    const e = raw as Record<string, unknown>;
    const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    let username = str(e.username);
    let password = str(e.password);
    const auth = str(e.auth);
    if (auth !== undefined) {
      // Like the kubelet: `auth` wins over username/password and must be base64("user:password").
      const decoded = Buffer.from(auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) throw new CredentialsError(`${source}: an "auth" field is not base64(username:password)`);
      username = decoded.slice(0, colon);
      password = decoded.slice(colon + 1);
    }
    const identityToken = str(e.identitytoken);
    if (username === undefined && password === undefined && identityToken === undefined) continue;
    out[location] = makeCredential({ username, password, identityToken }, key);
  }
  return out;
}

/** The kubelet's key for a config entry: scheme dropped, `/v1/` and `/v2/` mean the bare host. */
export function keyringKey(location: string): string | null {
  const value = /^https?:\/\//.test(location) ? location : `https://${location}`;
  const parsed = parseUrlish(value.replace(/^https?:\/\//, ''));
  if (!parsed) return null;
  let path = parsed.path;
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path !== '' && path !== '/' ? parsed.host + path : parsed.host;
}

/** Splits a schemeless URL into host (with port) and path, as Go's url.Parse does for `https://` + s. */
function parseUrlish(s: string): { host: string; path: string } | null {
  const end = s.search(/[/?#]/);
  const host = end < 0 ? s : s.slice(0, end);
  let rest = end < 0 ? '' : s.slice(end);
  rest = rest.replace(/[?#].*$/, '');
  if (host === '' || /[\s]/.test(host) || host.includes('@')) return null;
  return { host, path: rest };
}

/** Go's net.SplitHostPort-or-whole then split on dots. */
function splitForMatch(host: string): { labels: string[]; port: string } {
  const m = /^(.*):(\d*)$/.exec(host);
  if (m && !m[1].includes(':')) return { labels: m[1].split('.'), port: m[2] };
  const b = /^\[(.*)\]:(\d*)$/.exec(host);
  if (b) return { labels: b[1].split('.'), port: b[2] };
  return { labels: host.split('.'), port: '' };
}

/**
 * Go's path/filepath.Match on one host label: `*` any run, `?` one character, `[...]` classes with
 * ranges and `^` negation, `\` escapes. A malformed pattern matches nothing (the kubelet skips it).
 */
export function globMatch(pattern: string, name: string): boolean {
  const re = globToRegExp(pattern);
  return re !== null && re.test(name);
}

function globToRegExp(pattern: string): RegExp | null {
  let out = '^';
  let i = 0;
  // Go's getEsc: one class character, `\` escapes, a bare `-` or `]` is a malformed pattern.
  const classChar = (): string | null => {
    let c = pattern[i];
    if (c === undefined || c === '-' || c === ']') return null;
    if (c === '\\') {
      i++;
      c = pattern[i];
      if (c === undefined) return null;
    }
    i++;
    return c;
  };
  while (i < pattern.length) {
    const ch = pattern[i];
    if (ch === '*') {
      out += '[^/]*';
      i++;
    } else if (ch === '?') {
      out += '[^/]';
      i++;
    } else if (ch === '\\') {
      if (i + 1 >= pattern.length) return null;
      out += escapeRe(pattern[i + 1]);
      i += 2;
    } else if (ch === '[') {
      i++;
      let cls = '';
      if (pattern[i] === '^') {
        cls = '^';
        i++;
      }
      let ranges = 0;
      for (;;) {
        if (pattern[i] === ']' && ranges > 0) {
          i++;
          break;
        }
        const lo = classChar();
        if (lo === null) return null;
        let hi = lo;
        if (pattern[i] === '-') {
          i++;
          const h = classChar();
          if (h === null) return null;
          hi = h;
        }
        if (hi < lo) return null;
        cls += lo === hi ? escapeClass(lo) : `${escapeClass(lo)}-${escapeClass(hi)}`;
        ranges++;
      }
      out += cls.startsWith('^') ? `[${cls}/]` : `(?!/)[${cls}]`;
    } else {
      out += escapeRe(ch);
      i++;
    }
  }
  return new RegExp(`${out}$`, 's');
}

const escapeRe = (c: string): string => c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
const escapeClass = (c: string): string => c.replace(/[\]\\^-]/g, '\\$&');

/** The kubelet's URLsMatch: equal ports, equal label counts, per-label globs, key path a string prefix. */
export function keyMatches(key: string, image: string): boolean {
  const k = parseUrlish(key);
  const t = parseUrlish(image);
  if (!k || !t) return false;
  const kh = splitForMatch(k.host);
  const th = splitForMatch(t.host);
  if (kh.port !== th.port) return false;
  if (kh.labels.length !== th.labels.length) return false;
  if (!t.path.startsWith(k.path)) return false;
  return kh.labels.every((label, i) => globMatch(label, th.labels[i]));
}

/** Whether an image name pulls from Docker Hub (the kubelet's isDefaultRegistryMatch). */
export function isDockerHubImage(image: string): boolean {
  const slash = image.indexOf('/');
  const first = slash < 0 ? image : image.slice(0, slash);
  if (first === '') return false;
  if (slash < 0) return true;
  if (first === 'docker.io' || first === 'index.docker.io') return true;
  return !/[.:]/.test(first);
}

const DOCKER_HUB_KEY = 'index.docker.io';

/** One keyring: entries grouped by kubelet key, searched most specific (reverse-sorted) first. */
export class Keyring {
  private readonly byKey = new Map<string, Credential[]>();
  private readonly index: string[];

  constructor(configs: readonly Record<string, Credential>[]) {
    for (const config of configs) {
      for (const [location, credential] of Object.entries(config)) {
        const key = keyringKey(location);
        if (key === null) continue;
        const list = this.byKey.get(key) ?? [];
        list.push(credential);
        this.byKey.set(key, list);
      }
    }
    // Go sorts strings bytewise; reverse order puts `quay.io/coreos` before `quay.io`.
    this.index = [...this.byKey.keys()].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Candidate credentials for a normalised repository name (`docker.io/library/nginx`), in order. */
  lookup(image: string): Credential[] {
    const found: Credential[] = [];
    for (const key of this.index) if (keyMatches(key, image)) found.push(...(this.byKey.get(key) ?? []));
    if (found.length > 0) return found;
    if (isDockerHubImage(image)) return [...(this.byKey.get(DOCKER_HUB_KEY) ?? [])];
    return [];
  }
}

/**
 * The kubelet's union: the pod's pull secrets (one keyring of all of them) first, then the node's
 * credentials. Duplicates (the same secret twice) are tried once.
 */
export function lookupCredentials(image: string, keyrings: readonly Keyring[]): Credential[] {
  const seen = new Set<string>();
  const out: Credential[] = [];
  for (const ring of keyrings) {
    for (const c of ring.lookup(image)) {
      if (seen.has(c.identity)) continue;
      seen.add(c.identity);
      out.push(c);
    }
  }
  return out;
}

/**
 * Registry credentials (pure): docker config files and pull secrets, matched to images with the
 * kubelet's keyring rules (pkg/credentialprovider/keyring.go). Secrets stay inside `Credential`
 * objects; everything that leaves this module (identities, errors) is derived without them. Shared by
 * the registry client and the decision core, which must not import src/registry (.dependency-cruiser.cjs).
 */
import { createHash, createHmac, createSecretKey, type KeyObject, randomBytes } from 'node:crypto';
import { goTrimSpace } from './go-strings.js';

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
 * One registry entry as the kubelet reads it (pkg/credentialprovider/config.go, `DockerConfigEntry.UnmarshalJSON`):
 * username, password and email, where a non-empty `auth` replaces username and password. Every entry is
 * kept, also one with none of them (an `email`-only entry matches like any other and its pull is anonymous).
 * `identityToken` is this service's extension for node credentials (the kubelet ignores `identitytoken`).
 */
export interface DockerConfigEntry {
  username?: string;
  password?: string;
  email?: string;
  identityToken?: string;
  /**
   * The kubelet's credential identity of this entry (keyring.go `hashAuthConfig`): lower-case hex sha256 of
   * Go's `json.Marshal(AuthConfig{Username, Password, Email})`. Unkeyed, like the kubelet's: it never leaves
   * the process (cache keys use `Credential.identity`), it is only compared.
   */
  authConfigHash: string;
}

/** Go's `encoding/json` reads object keys case-insensitively; the last matching key wins. */
function goField(entry: Record<string, unknown>, name: string): unknown {
  let value: unknown;
  for (const [key, field] of Object.entries(entry)) if (key.toLowerCase() === name) value = field;
  return value;
}

/** A Go `string` field: absent or null is "", anything but a string fails the whole document (`json.Unmarshal`). */
function goStringField(entry: Record<string, unknown>, name: string, source: string): string {
  const value = goField(entry, name);
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new CredentialsError(`${source}: the "${name}" field of an entry is not a string`);
  return value;
}

const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const RAW_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2,3})?$/;

/**
 * config.go `decodeDockerConfigFieldAuth`: `base64.StdEncoding` (padding required) when the trimmed field
 * ends with "=", `base64.RawStdEncoding` (no padding allowed) otherwise; Go's decoders skip `\r` and `\n`
 * anywhere and refuse every other character outside the alphabet (spaces included) and a final quantum of
 * one character. The decoded bytes must contain ":" (`strings.SplitN(…, ":", 2)`); the username is what
 * comes before the first one, the password the rest. Null when the kubelet refuses the field.
 */
export function decodeAuthField(field: string): { username: Buffer; password: Buffer } | null {
  const clean = field.replace(/[\r\n]/g, '');
  const padded = goTrimSpace(field).endsWith('=');
  if (!(padded ? PADDED_BASE64 : RAW_BASE64).test(clean)) return null;
  const decoded = Buffer.from(clean, 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return null;
  return { username: decoded.subarray(0, colon), password: decoded.subarray(colon + 1) };
}

/**
 * Reads a docker config as the kubelet does (config.go `DockerConfigJSON` / `DockerConfig`): `{"auths": {...}}`
 * (`.dockerconfigjson`, `~/.docker/config.json`) or a legacy `.dockercfg` (the entries at top level). A document
 * the kubelet cannot unmarshal — not JSON, an entry that is not an object, a field that is not a string, an
 * `auth` that is not base64(username:password) — is a `CredentialsError` naming `source`, never quoting it
 * (`secrets.MakeDockerKeyring` fails the same way and the pull or credential check with it).
 *
 * `form`: `secret` for the `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson` Secret, which the kubelet
 * unmarshals into `DockerConfigJSON{Auths}` only (secrets.go `secretsToTrackedDockerConfigs`): without an `auths`
 * key it has no entries, never a top-level legacy form. `file` (REGISTRY_AUTH_FILE) also takes the legacy
 * `.dockercfg` form, as the kubelet's config-file readers do.
 */
export function readDockerConfig(content: string | unknown, source: string, form: 'secret' | 'file' = 'secret'): Record<string, DockerConfigEntry> {
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
  const hasAuths = Object.keys(obj).some((key) => key.toLowerCase() === 'auths');
  const auths = hasAuths ? goField(obj, 'auths') : form === 'file' ? obj : undefined;
  if (auths === undefined || auths === null) return {};
  if (typeof auths !== 'object' || Array.isArray(auths)) throw new CredentialsError(`${source}: "auths" must be an object`);
  const out: Record<string, DockerConfigEntry> = {};
  for (const [location, raw] of Object.entries(auths as Record<string, unknown>)) {
    // A null entry unmarshals to an empty one (DockerConfigEntry.UnmarshalJSON of "null"); other non-objects fail.
    if (raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) throw new CredentialsError(`${source}: the entry for a registry is not an object`);
    const e = (raw ?? {}) as Record<string, unknown>;
    let username: Buffer | string = goStringField(e, 'username', source);
    let password: Buffer | string = goStringField(e, 'password', source);
    const email = goStringField(e, 'email', source);
    const auth = goStringField(e, 'auth', source);
    if (auth !== '') {
      const decoded = decodeAuthField(auth);
      if (decoded === null) throw new CredentialsError(`${source}: an "auth" field is not base64(username:password) as the kubelet decodes it`);
      ({ username, password } = decoded);
    }
    const token = goField(e, 'identitytoken');
    const entry: DockerConfigEntry = { authConfigHash: hashAuthConfig({ username, password, email }) };
    const text = (v: Buffer | string): string => (typeof v === 'string' ? v : v.toString('utf8'));
    // `auth` gives strings even when empty ("user:"), as before; plain fields are absent when empty.
    if (typeof username !== 'string' || username !== '') entry.username = text(username);
    if (typeof password !== 'string' || password !== '') entry.password = text(password);
    if (email !== '') entry.email = email;
    if (typeof token === 'string' && token !== '') entry.identityToken = token;
    out[location] = entry;
  }
  return out;
}

/**
 * Reads a docker config (see `readDockerConfig`) into credentials for the registry client. `source` names the
 * input in errors, which never quote it; `key` keys the credentials' identities.
 */
export function parseDockerConfig(content: string | unknown, source: string, key: IdentityKey, form: 'secret' | 'file' = 'secret'): Record<string, Credential> {
  const out: Record<string, Credential> = {};
  for (const [location, entry] of Object.entries(readDockerConfig(content, source, form))) {
    out[location] = makeCredential({ username: entry.username, password: entry.password, identityToken: entry.identityToken }, key);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// keyring.go hashAuthConfig: sha256 of Go's json.Marshal(AuthConfig{Username, Password, Email})
// ---------------------------------------------------------------------------------------------------

const HEX = '0123456789abcdef';

/** Go's `utf8.DecodeRune`: the length of a valid UTF-8 sequence at `i`, or 0 (Go: RuneError, width 1). */
function utf8Length(b: Uint8Array, i: number): number {
  const c0 = b[i];
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => j < b.length && b[j] >= lo && b[j] <= hi;
  if (c0 < 0x80) return 1;
  if (c0 < 0xc2) return 0;
  if (c0 < 0xe0) return cont(i + 1) ? 2 : 0;
  if (c0 < 0xf0) return cont(i + 1, c0 === 0xe0 ? 0xa0 : 0x80, c0 === 0xed ? 0x9f : 0xbf) && cont(i + 2) ? 3 : 0;
  if (c0 < 0xf5) return cont(i + 1, c0 === 0xf0 ? 0x90 : 0x80, c0 === 0xf4 ? 0x8f : 0xbf) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  return 0;
}

/**
 * A Go string as `encoding/json` encodes it (encode.go `appendString`, HTML escaping on, as `json.Marshal`
 * does): `"` and `\` escaped; `\b`, `\f`, `\n`, `\r`, `\t` short (Go 1.22+); other control bytes, `<`, `>`,
 * `&` as `\u00XX`; U+2028 and U+2029 as `\u2028`/`\u2029`; each byte of invalid UTF-8 as `\ufffd`.
 */
export function goJsonString(bytes: Uint8Array): Buffer {
  const out: number[] = [0x22];
  const ascii = (s: string): void => {
    for (let k = 0; k < s.length; k++) out.push(s.charCodeAt(k));
  };
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i];
    if (b < 0x80) {
      if (b === 0x22 || b === 0x5c) ascii(`\\${String.fromCharCode(b)}`);
      else if (b === 0x08) ascii('\\b');
      else if (b === 0x0c) ascii('\\f');
      else if (b === 0x0a) ascii('\\n');
      else if (b === 0x0d) ascii('\\r');
      else if (b === 0x09) ascii('\\t');
      else if (b < 0x20 || b === 0x3c || b === 0x3e || b === 0x26) ascii(`\\u00${HEX[b >> 4]}${HEX[b & 0xf]}`);
      else out.push(b);
      i++;
      continue;
    }
    const size = utf8Length(bytes, i);
    if (size === 0) {
      ascii('\\ufffd');
      i++;
      continue;
    }
    if (size === 3 && b === 0xe2 && bytes[i + 1] === 0x80 && (bytes[i + 2] === 0xa8 || bytes[i + 2] === 0xa9)) {
      ascii(`\\u202${HEX[bytes[i + 2] & 0xf]}`);
    } else {
      for (let k = 0; k < size; k++) out.push(bytes[i + k]);
    }
    i += size;
  }
  out.push(0x22);
  return Buffer.from(out);
}

/**
 * keyring.go `hashAuthConfig`, which `NewTrackedAuthConfig` applies to the `AuthConfig{Username, Password,
 * Email}` that `BasicDockerKeyring.Add` builds from each entry: hex sha256 of its `json.Marshal` — fields in
 * declaration order, each omitted when empty (`omitempty`), so `{}` for an entry with none. Strings are
 * encoded from their bytes (`Buffer`) or as UTF-8 (`string`).
 */
export function hashAuthConfig(config: { username?: Uint8Array | string; password?: Uint8Array | string; email?: Uint8Array | string }): string {
  const parts: Buffer[] = [];
  for (const name of ['username', 'password', 'email'] as const) {
    const value = config[name];
    const bytes = value === undefined ? Buffer.alloc(0) : typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    if (bytes.length === 0) continue;
    parts.push(Buffer.from(`${parts.length > 0 ? ',' : ''}"${name}":`), goJsonString(bytes));
  }
  return createHash('sha256')
    .update(Buffer.concat([Buffer.from('{'), ...parts, Buffer.from('}')]))
    .digest('hex');
}

// ---------------------------------------------------------------------------------------------------
// Keys and matching: keyring.go BasicDockerKeyring.Add, ParseSchemelessURL, SplitURL, URLsMatch
// ---------------------------------------------------------------------------------------------------

/**
 * The kubelet's key for a config entry (keyring.go `BasicDockerKeyring.Add`): `https://` added when there is no
 * `http(s)://`, parsed with Go's `url.Parse`, then `parsed.Host` (userinfo dropped: `https://user@host` is
 * `host`) plus the path, where `/v1/` and `/v2/` mean the bare host. Null when `url.Parse` fails (the kubelet
 * logs "Entry … in dockercfg invalid" and skips the entry).
 */
export function keyringKey(location: string): string | null {
  const value = /^https?:\/\//.test(location) ? location : `https://${location}`;
  const parsed = parseUrlish(value.replace(/^https?:\/\//, ''));
  if (!parsed) return null;
  let path = parsed.path;
  if (path.startsWith('/v2/') || path.startsWith('/v1/')) path = path.slice(3);
  return path !== '' && path !== '/' ? parsed.host + path : parsed.host;
}

const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Fa-f]$/.test(c);

/** Go's `url.unescape`: %XX decoded; a malformed escape (and, in a host, an escaped ASCII byte other than %25) is an error. */
function goUnescape(s: string, host: boolean): string | null {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  const raw = Buffer.from(s, 'utf8');
  for (let i = 0; i < raw.length; ) {
    if (raw[i] !== 0x25) {
      bytes.push(raw[i++]);
      continue;
    }
    const h1 = String.fromCharCode(raw[i + 1] ?? 0);
    const h2 = String.fromCharCode(raw[i + 2] ?? 0);
    if (i + 2 >= raw.length || !isHex(h1) || !isHex(h2)) return null;
    if (host && parseInt(h1, 16) < 8 && `${h1}${h2}` !== '25') return null;
    bytes.push(parseInt(`${h1}${h2}`, 16));
    i += 3;
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Characters Go's `url.Parse` accepts unescaped in a host (`shouldEscape(c, encodeHost)` is false), ASCII only. */
const HOST_CHARS = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%\u0080-\uffff]*$/;
/** Go's `validUserinfo`. */
const USERINFO_CHARS = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

/** Go's `parseHost`: a port after the last ":" (or after "]") must be digits; then the host's escapes. */
function goParseHost(host: string): string | null {
  const validPort = (colonPort: string): boolean => colonPort === '' || /^:[0-9]*$/.test(colonPort);
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']');
    if (end < 0 || !validPort(host.slice(end + 1))) return null;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && !validPort(host.slice(colon))) return null;
  }
  if (!HOST_CHARS.test(host)) return null;
  return goUnescape(host, true);
}

/**
 * Go's `url.Parse("https://" + s)` (keyring.go `ParseSchemelessURL`), reduced to what the keyring uses: the
 * host with its port (userinfo validated and dropped) and the unescaped path; query and fragment cut. Null
 * where Go returns an error (control characters, a bad port, a character a host may not have, bad escapes),
 * and for an empty host (Go keeps such a key, but it has no label to match any image's host).
 */
function parseUrlish(s: string): { host: string; path: string } | null {
  // eslint-disable-next-line no-control-regex -- deliberate: Go's url.Parse rejects control characters
  if (/[\x00-\x1f\x7f]/.test(s)) return null;
  const hash = s.indexOf('#');
  if (hash >= 0 && goUnescape(s.slice(hash + 1), false) === null) return null;
  let rest = hash >= 0 ? s.slice(0, hash) : s;
  const question = rest.indexOf('?');
  if (question >= 0) rest = rest.slice(0, question);
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = goUnescape(slash < 0 ? '' : rest.slice(slash), false);
  if (path === null) return null;
  const at = authority.lastIndexOf('@');
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!USERINFO_CHARS.test(userinfo) || userinfo.split(':').some((part) => goUnescape(part, false) === null)) return null;
  }
  const host = goParseHost(authority.slice(at + 1));
  if (host === null || host === '') return null;
  return { host, path };
}

/** keyring.go `SplitURL`: Go's `net.SplitHostPort` of the host, or the whole host and no port when it fails; then the dot-separated labels. */
function splitForMatch(hostport: string): { labels: string[]; port: string } {
  const whole = { labels: hostport.split('.'), port: '' };
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return whole;
  let host: string;
  let from = 0;
  let to = 0;
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0 || end + 1 !== colon) return whole;
    host = hostport.slice(1, end);
    from = 1;
    to = end + 1;
  } else {
    host = hostport.slice(0, colon);
    if (host.includes(':')) return whole;
  }
  if (hostport.slice(from).includes('[') || hostport.slice(to).includes(']')) return whole;
  return { labels: host.split('.'), port: hostport.slice(colon + 1) };
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

/**
 * One keyring (keyring.go `BasicDockerKeyring`): entries grouped by kubelet key, searched most specific
 * (reverse-sorted) first. `C` is what an entry carries: the registry client's `Credential`, or anything the
 * caller tags entries with (the pull decision keeps each entry's Secret and `hashAuthConfig`).
 */
export class Keyring<C = Credential> {
  private readonly byKey = new Map<string, C[]>();
  private readonly index: string[];

  constructor(configs: readonly Record<string, C>[]) {
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

  /**
   * keyring.go `BasicDockerKeyring.Lookup`: the entries of every key that matches a normalised repository name
   * (`docker.io/library/nginx`), in index order; only when none does, a Docker Hub image gets the
   * `index.docker.io` entries.
   */
  lookup(image: string): C[] {
    const found: C[] = [];
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

// @ts-check
/**
 * Registry patterns `host[:port][/path-prefix]` (e.g. `registry.example.com`, `localhost:5000`,
 * `ghcr.io/my-org`), matched against parsed references by exact host and whole path segments:
 * `registry.io` never matches `registry.io.evil.com`, `evil.com/registry.io` or `registry.io:5000`,
 * and `ghcr.io/org` never matches `ghcr.io/org-x/…`. Hosts compare case-insensitively (DNS); paths
 * exactly (they are lower case by the grammar). `index.docker.io` is written `docker.io`, as the parser
 * normalises it.
 */

/**
 * @typedef {{ text: string, host: string, path: string[] }} RegistryPattern
 * @typedef {import('../../packages/plugin-api/index.js').ParsedReference} ParsedReference
 */

const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/;
const IPV6 = /^\[[a-fA-F0-9:]+\]$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;

/**
 * Parses one pattern; `error` says what is wrong.
 * @param {unknown} text
 * @returns {{ ok: true, pattern: RegistryPattern } | { ok: false, error: string }}
 */
export function parseRegistryPattern(text) {
  if (typeof text !== 'string' || text.trim() === '') return { ok: false, error: 'must be a non-empty string host[:port][/path]' };
  const raw = text.trim();
  const quoted = JSON.stringify(raw);
  if (raw.length > 512) return { ok: false, error: `${quoted.slice(0, 40)}… is too long` };
  if (raw.includes('://')) return { ok: false, error: `${quoted} must not have a scheme: write host[:port][/path]` };
  if (raw.includes('*')) return { ok: false, error: `${quoted}: wildcards are not supported; list each registry` };
  const trimmed = raw.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  const hostPort = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const path = slash < 0 ? [] : trimmed.slice(slash + 1).split('/');
  let host = hostPort;
  let port = '';
  const portMatch = /^(.*?)(?::([0-9]+))?$/.exec(hostPort);
  if (portMatch) {
    host = portMatch[1];
    port = portMatch[2] ?? '';
  }
  const validHost = IPV6.test(host) || (host !== '' && host.split('.').every((label) => DOMAIN_COMPONENT.test(label)));
  if (!validHost) return { ok: false, error: `${quoted}: "${host}" is not a registry host name` };
  if (port !== '' && !(Number(port) >= 1 && Number(port) <= 65535)) return { ok: false, error: `${quoted}: port ${port} is out of range` };
  if (port === '' && !host.includes('.') && !IPV6.test(host) && host !== 'localhost') {
    return { ok: false, error: `${quoted}: "${host}" has no dot and no port, so Kubernetes would read it as a Docker Hub repository, never as a registry` };
  }
  for (const component of path) {
    if (!PATH_COMPONENT.test(component)) return { ok: false, error: `${quoted}: "${component}" is not a valid repository path component` };
  }
  let normalised = host.toLowerCase();
  if (normalised === 'index.docker.io' && port === '') normalised = 'docker.io';
  return { ok: true, pattern: { text: raw, host: port === '' ? normalised : `${normalised}:${port}`, path } };
}

/**
 * Problems with a list of patterns, named by `key`.
 * @param {unknown} list
 * @param {string} key
 * @returns {string[]}
 */
export function patternListProblems(list, key) {
  if (!Array.isArray(list)) return [`${key} must be a list of host[:port][/path] entries`];
  /** @type {string[]} */
  const problems = [];
  list.forEach((entry, i) => {
    const parsed = parseRegistryPattern(entry);
    if (!parsed.ok) problems.push(`${key}[${i}] ${parsed.error}`);
  });
  return problems;
}

/**
 * Finds the most specific pattern (longest path prefix) that a reference falls under.
 * @template {RegistryPattern} P
 */
export class RegistryMatcher {
  /** @param {readonly P[]} patterns */
  constructor(patterns) {
    /** @type {Map<string, P[]>} */
    this.byHost = new Map();
    for (const pattern of patterns) {
      const list = this.byHost.get(pattern.host) ?? [];
      list.push(pattern);
      this.byHost.set(pattern.host, list);
    }
    for (const list of this.byHost.values()) list.sort((a, b) => b.path.length - a.path.length);
  }

  /**
   * @param {Pick<ParsedReference, 'domain' | 'path'>} reference
   * @returns {P | null}
   */
  match(reference) {
    const candidates = this.byHost.get(reference.domain.toLowerCase());
    if (candidates === undefined) return null;
    const segments = reference.path.split('/');
    for (const pattern of candidates) {
      if (pattern.path.length > segments.length) continue;
      let same = true;
      for (let i = 0; i < pattern.path.length; i++) {
        if (pattern.path[i] !== segments[i]) {
          same = false;
          break;
        }
      }
      if (same) return pattern;
    }
    return null;
  }
}

/**
 * Parses patterns already validated by patternListProblems.
 * @param {readonly string[]} list
 * @returns {RegistryPattern[]}
 */
export function parsePatterns(list) {
  return list.map((text) => {
    const parsed = parseRegistryPattern(text);
    if (!parsed.ok) throw new Error(parsed.error);
    return parsed.pattern;
  });
}

/**
 * Egress guard (pure): image references are user input, so the registry host is user-chosen. Before any
 * connection (registry, token realm, redirect target) the resolved addresses are classified here and
 * every non-public address is refused unless the operator allowed the host in configuration.
 * No I/O: the connector in `egress-connector.ts` resolves names and asks these functions.
 */

/** Why an address is not public; `public` is the only class allowed without configuration. */
export type AddressClass =
  | 'public'
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'unique-local'
  | 'metadata'
  | 'multicast'
  | 'reserved';

/** Host names that reach cloud metadata services or this machine without being IP literals. */
const BLOCKED_NAMES: ReadonlyMap<string, AddressClass> = new Map<string, AddressClass>([
  ['metadata.google.internal', 'metadata'],
  ['metadata.goog', 'metadata'],
  ['metadata', 'metadata'],
  ['instance-data', 'metadata'],
  ['instance-data.ec2.internal', 'metadata'],
  ['localhost', 'loopback'],
]);

/** Lower-cases, drops brackets around IPv6 literals, a trailing root dot and an IPv6 zone id. */
export function normalizeHost(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  const zone = h.indexOf('%');
  if (zone >= 0 && h.includes(':')) h = h.slice(0, zone);
  while (h.endsWith('.') && h.length > 1) h = h.slice(0, -1);
  return h;
}

/** Strict dotted-quad IPv4 (what resolvers return). */
export function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

/**
 * IPv4 in any spelling `inet_aton` and WHATWG URLs accept: 1–4 parts, each decimal, octal (leading 0)
 * or hex (0x), the last part filling the remaining bytes (`127.1`, `0x7f000001`, `2130706433`,
 * `0177.0.0.1`). A host name like that reaches 127.0.0.1 through getaddrinfo, so it is an address.
 */
export function parseIPv4Loose(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length > 4 || parts.some((p) => p === '')) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0x[0-9a-f]*$/i.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]+$/.test(part)) value = parseInt(part.slice(1), 8);
    else if (/^(0|[1-9]\d*)$/.test(part)) value = Number(part);
    else return null;
    if (!Number.isSafeInteger(value)) return null;
    values.push(value);
  }
  const last = values.pop() as number;
  if (values.some((v) => v > 255)) return null;
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) return null;
  const bytes = [...values];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes;
}

/** IPv6 in any textual form (`::`, embedded dotted quad, zone id, brackets) to 16 bytes. */
export function parseIPv6(text: string): number[] | null {
  const h = normalizeHost(text);
  if (!h.includes(':')) return null;
  const halves = h.split('::');
  if (halves.length > 2) return null;
  const toGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const out: number[] = [];
    const pieces = s.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIPv4(piece);
        if (!v4) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else {
        if (!/^[0-9a-f]{1,4}$/.test(piece)) return null;
        out.push(parseInt(piece, 16));
      }
    }
    return out;
  };
  const head = toGroups(halves[0]);
  const tail = halves.length === 2 ? toGroups(halves[1]) : [];
  if (!head || !tail) return null;
  let groups: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    groups = head;
  }
  if (groups.length !== 8) return null;
  return groups.flatMap((g) => [g >> 8, g & 0xff]);
}

function inRange(bytes: number[], prefix: number[], bits: number): boolean {
  for (let i = 0; i < bits; i++) {
    const byte = i >> 3;
    const mask = 0x80 >> (i & 7);
    if ((bytes[byte] & mask) !== ((prefix[byte] ?? 0) & mask)) return false;
  }
  return true;
}

/** Classifies an IPv4 address given as 4 bytes. */
export function classifyIPv4(b: number[]): AddressClass {
  const [a, c] = b;
  if (b.every((x) => x === 0)) return 'unspecified';
  if (a === 169 && c === 254 && b[2] === 169 && b[3] === 254) return 'metadata';
  if (a === 100 && c === 100 && b[2] === 100 && b[3] === 200) return 'metadata'; // Alibaba Cloud
  if (a === 0) return 'reserved'; // "this network"
  if (a === 127) return 'loopback';
  if (a === 10) return 'private';
  if (a === 172 && c >= 16 && c <= 31) return 'private';
  if (a === 192 && c === 168) return 'private';
  if (a === 100 && c >= 64 && c <= 127) return 'private'; // carrier-grade NAT, 100.64.0.0/10
  if (a === 169 && c === 254) return 'link-local';
  if (a === 192 && c === 0 && b[2] === 0) return 'reserved'; // IETF protocol assignments
  if (a === 198 && (c === 18 || c === 19)) return 'reserved'; // benchmarking
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved'; // includes 255.255.255.255
  return 'public';
}

const v4AtEnd = (b: number[]): number[] => b.slice(12, 16);

/**
 * Classifies an IPv6 address given as 16 bytes. Every prefix that embeds or translates to an IPv4
 * address (mapped, compatible, translated, NAT64, 6to4, Teredo) is judged by the IPv4 address inside,
 * so `::ffff:127.0.0.1`, `::ffff:7f00:1` and `64:ff9b::7f00:1` are loopback like `127.0.0.1`.
 */
export function classifyIPv6(b: number[]): AddressClass {
  if (b.every((x) => x === 0)) return 'unspecified';
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 'loopback';
  // fd00:ec2::254 — the AWS metadata service over IPv6.
  if (sameBytes(b, parseIPv6('fd00:ec2::254') as number[])) return 'metadata';
  if (inRange(b, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], 96)) return classifyIPv4(v4AtEnd(b)); // ::ffff:a.b.c.d
  if (inRange(b, [], 96)) return classifyIPv4(v4AtEnd(b)); // ::a.b.c.d (deprecated IPv4-compatible)
  if (inRange(b, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], 96)) return classifyIPv4(v4AtEnd(b)); // ::ffff:0:a.b.c.d
  if (inRange(b, [0, 0x64, 0xff, 0x9b], 96)) return classifyIPv4(v4AtEnd(b)); // NAT64 well-known prefix
  if (inRange(b, [0, 0x64, 0xff, 0x9b, 0, 1], 48)) return 'private'; // local-use NAT64
  if (inRange(b, [0x20, 0x02], 16)) return classifyIPv4(b.slice(2, 6)); // 6to4
  if (inRange(b, [0x20, 0x01, 0, 0], 32)) return classifyIPv4(b.slice(12, 16).map((x) => x ^ 0xff)); // Teredo client
  if (inRange(b, [0xfc], 7)) return 'unique-local';
  if (inRange(b, [0xfe, 0x80], 10)) return 'link-local';
  if (inRange(b, [0xfe, 0xc0], 10)) return 'private'; // deprecated site-local
  if (inRange(b, [0xff], 8)) return 'multicast';
  if (inRange(b, [0x01, 0, 0, 0, 0, 0, 0, 0], 64)) return 'reserved'; // discard-only
  if (inRange(b, [0x20, 0x01, 0x0d, 0xb8], 32)) return 'reserved'; // documentation
  if (inRange(b, [0x3f, 0xff, 0xf0, 0], 20)) return 'reserved'; // documentation (RFC 9637)
  if (inRange(b, [0x5f], 8)) return 'reserved'; // segment routing SIDs
  if (!inRange(b, [0x20], 3)) return 'reserved'; // outside global unicast 2000::/3
  return 'public';
}

function sameBytes(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The IP address a host string denotes, in canonical text, or null when it is a name. */
export function ipLiteralOf(host: string): { family: 4 | 6; bytes: number[]; text: string } | null {
  const h = normalizeHost(host);
  const v6 = parseIPv6(h);
  if (v6) return { family: 6, bytes: v6, text: formatIPv6(v6) };
  const v4 = parseIPv4Loose(h);
  if (v4) return { family: 4, bytes: v4, text: v4.join('.') };
  return null;
}

export function formatIPv6(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}

/** Classifies any address text: IPv4 (any spelling) or IPv6. Unparsable text is `reserved` (refused). */
export function classifyAddress(address: string): AddressClass {
  const literal = ipLiteralOf(address);
  if (!literal) return 'reserved';
  return literal.family === 4 ? classifyIPv4(literal.bytes) : classifyIPv6(literal.bytes);
}

/** Names refused before any resolution (metadata services, `localhost` and `*.localhost`). */
export function classifyName(host: string): AddressClass | null {
  const h = normalizeHost(host);
  const named = BLOCKED_NAMES.get(h);
  if (named) return named;
  if (h.endsWith('.localhost')) return 'loopback';
  return null;
}

/**
 * Hosts the operator let past the guard. An entry `host` allows every port of that host; an entry
 * `host:port` (the shape of REGISTRY_PLAIN_HTTP) allows that port only.
 */
export class EgressPolicy {
  private readonly anyPort = new Set<string>();
  private readonly withPort = new Set<string>();

  constructor(allowed: readonly string[]) {
    for (const entry of allowed) {
      const { host, port } = splitHostPort(entry);
      if (port === null) this.anyPort.add(canonicalHost(host));
      else this.withPort.add(`${canonicalHost(host)}:${port}`);
    }
  }

  allows(host: string, port: number): boolean {
    const h = canonicalHost(host);
    return this.anyPort.has(h) || this.withPort.has(`${h}:${port}`);
  }
}

/** Host compared in one spelling: IP literals canonicalised, names lower-cased. */
export function canonicalHost(host: string): string {
  const literal = ipLiteralOf(host);
  return literal ? literal.text : normalizeHost(host);
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`. */
export function splitHostPort(entry: string): { host: string; port: number | null } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracket) return { host: bracket[1], port: bracket[2] ? Number(bracket[2]) : null };
  const colon = entry.lastIndexOf(':');
  if (colon > 0 && entry.indexOf(':') === colon && /^\d+$/.test(entry.slice(colon + 1))) {
    return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
  }
  return { host: entry, port: null };
}

export type EgressDecision =
  | { allowed: true; address: string; family: 4 | 6 }
  | { allowed: false; reason: string };

/**
 * Decides a connection from the host asked for and the addresses it resolved to. Every address must be
 * public (a name resolving to one private address among public ones is refused: the resolver's order
 * would otherwise choose the target); the caller connects to the returned address, not the name.
 */
export function decideEgress(
  host: string,
  port: number,
  addresses: readonly { address: string; family: number }[],
  policy: EgressPolicy,
): EgressDecision {
  const allowed = policy.allows(host, port);
  const byName = classifyName(host);
  if (byName && !allowed) return { allowed: false, reason: refusal(host, byName, true) };
  if (addresses.length === 0) return { allowed: false, reason: `host ${display(host)} has no address` };
  if (!allowed) {
    for (const { address } of addresses) {
      const cls = classifyAddress(address);
      if (cls !== 'public') return { allowed: false, reason: refusal(host, cls, ipLiteralOf(host) !== null) };
    }
  }
  const first = addresses[0];
  const literal = ipLiteralOf(first.address);
  if (!literal) return { allowed: false, reason: `host ${display(host)} resolved to an unusable address` };
  return { allowed: true, address: literal.family === 4 ? literal.text : formatIPv6(literal.bytes), family: literal.family };
}

/**
 * Decision possible without resolving: IP literals and blocked names. `undefined` means "a name that
 * needs resolving"; the connector then calls `decideEgress` with the resolved addresses.
 */
export function preflightEgress(host: string, port: number, policy: EgressPolicy): EgressDecision | undefined {
  const literal = ipLiteralOf(host);
  if (literal) return decideEgress(host, port, [{ address: literal.text, family: literal.family }], policy);
  if (classifyName(host)) return decideEgress(host, port, [{ address: '0.0.0.0', family: 4 }], policy);
  return undefined;
}

function display(host: string): string {
  // Host names come from user input: keep the message short and printable.
  return JSON.stringify(host.length > 100 ? `${host.slice(0, 100)}…` : host);
}

function refusal(host: string, cls: AddressClass, literal: boolean): string {
  const what: Record<AddressClass, string> = {
    public: 'a public address',
    unspecified: 'an unspecified address',
    loopback: 'a loopback address',
    private: 'a private address',
    'link-local': 'a link-local address',
    'unique-local': 'a unique-local address',
    metadata: 'a cloud metadata address',
    multicast: 'a multicast address',
    reserved: 'a reserved address',
  };
  const verb = literal ? 'is' : 'resolves to';
  return `registry host ${display(host)} ${verb} ${what[cls]}; allow it with REGISTRY_ALLOW_HOSTS or REGISTRY_PLAIN_HTTP`;
}

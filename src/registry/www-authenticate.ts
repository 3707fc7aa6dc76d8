/**
 * Parses `WWW-Authenticate` challenges (RFC 7235): `Bearer realm="…",service="…",scope="…"` or
 * `Basic realm="…"`. Several challenges may share one header; parameters may be quoted with escapes.
 */
export interface Challenge {
  /** Lower-cased scheme: `bearer`, `basic`, … */
  scheme: string;
  /** Parameter names lower-cased. */
  params: Record<string, string>;
}

export function parseWwwAuthenticate(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const headers = Array.isArray(header) ? header : [header];
  return headers.flatMap(parseOne);
}

function parseOne(text: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const n = text.length;
  const skipSpace = (): void => {
    while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[!#$%&'*+.^_`|~0-9A-Za-z-]/.test(text[i])) i++;
    return text.slice(start, i);
  };
  let current: Challenge | null = null;
  while (i < n) {
    skipSpace();
    if (text[i] === ',') {
      i++;
      continue;
    }
    const name = token();
    if (name === '') {
      i++; // skip a character we do not understand rather than loop forever
      continue;
    }
    skipSpace();
    if (text[i] === '=' && current) {
      i++;
      skipSpace();
      let value: string;
      if (text[i] === '"') {
        i++;
        value = '';
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          value += text[i++];
        }
        i++; // closing quote
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== ' ') i++;
        value = text.slice(start, i);
      }
      current.params[name.toLowerCase()] = value;
    } else {
      // a new scheme (a token not followed by '='); token68 forms are ignored
      current = { scheme: name.toLowerCase(), params: {} };
      challenges.push(current);
    }
  }
  return challenges;
}

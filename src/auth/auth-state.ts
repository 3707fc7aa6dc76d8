import { ApiKeyStore } from './api-keys.js';

/** Nest token of the AuthState (the keys in force and the open paths). */
export const AUTH_STATE = Symbol('AUTH_STATE');

/** `/healthz` matches exactly (and with a query); `/docs*` matches every path that starts with `/docs`. */
export function openPathMatcher(patterns: readonly string[]): (url: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.endsWith('*')));
  const prefixes = patterns.filter((p) => p.endsWith('*')).map((p) => p.slice(0, -1));
  return (url) => {
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (exact.has(path)) return true;
    for (const prefix of prefixes) if (path.startsWith(prefix)) return true;
    return false;
  };
}

export class AuthState {
  readonly isOpen: (url: string) => boolean;

  constructor(
    /** null: authentication is off (no API_KEYS_FILE). */
    readonly keys: ApiKeyStore | null,
    openPaths: readonly string[],
  ) {
    this.isOpen = openPathMatcher(openPaths);
  }
}

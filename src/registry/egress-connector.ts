/**
 * The undici connector that enforces the egress guard on every new connection: the name is resolved
 * once, all its addresses are checked, and the socket is opened to the checked address (so a DNS answer
 * that changes between check and connect cannot redirect us). TLS still verifies the original name.
 */
import { lookup as dnsLookup } from 'node:dns';
import { buildConnector } from 'undici';
import { decideEgress, type EgressPolicy, preflightEgress } from './egress-guard.js';

/** Thrown (through undici) when the guard refuses a connection; mapped to RegistryNotAllowed. */
export class EgressDeniedError extends Error {
  readonly code = 'EGRESS_DENIED';
  constructor(message: string) {
    super(message);
    this.name = 'EgressDeniedError';
  }
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

export const systemResolver: Resolver = (host) =>
  new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

export interface EgressConnectorOptions {
  policy: EgressPolicy;
  timeoutMs: number;
  resolver?: Resolver;
  /** Extra TLS options (tests pass a CA). */
  tls?: Record<string, unknown>;
}

export function egressConnector(options: EgressConnectorOptions): buildConnector.connector {
  const connect = buildConnector({ timeout: options.timeoutMs, ...(options.tls ?? {}) });
  const resolver = options.resolver ?? systemResolver;
  return (opts, callback) => {
    const port = Number(opts.port) || (opts.protocol === 'https:' ? 443 : 80);
    const host = opts.hostname;
    const finish = (address: string): void => {
      // `host` keeps the original name, from which undici derives the TLS server name.
      connect({ ...opts, hostname: address, host: opts.host ?? host }, callback);
    };
    const pre = preflightEgress(host, port, options.policy);
    if (pre) {
      if (!pre.allowed) return callback(new EgressDeniedError(pre.reason), null);
      return finish(pre.address);
    }
    resolver(host).then(
      (addresses) => {
        const decision = decideEgress(host, port, addresses, options.policy);
        if (!decision.allowed) return callback(new EgressDeniedError(decision.reason), null);
        finish(decision.address);
      },
      (err: NodeJS.ErrnoException) => {
        const e = new Error(`cannot resolve registry host ${JSON.stringify(host)}: ${err.code ?? 'lookup failed'}`);
        (e as NodeJS.ErrnoException).code = err.code ?? 'ENOTFOUND';
        callback(e, null);
      },
    );
  };
}

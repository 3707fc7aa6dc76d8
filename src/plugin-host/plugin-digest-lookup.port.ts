/**
 * The plugins' only network path: the service's guarded, cached digest lookup, as a port. The
 * application binds it to the registry module's DigestService (whose `resolve` has this shape):
 *
 *   { provide: PLUGIN_DIGEST_LOOKUP, useExisting: DigestService }
 *
 * Unbound, `ctx.resolveDigest` rejects with a clear error (plugins that only read the reference work).
 */
import type { PluginDigestAnswer } from './plugin-api.js';

export interface PluginDigestLookupOptions {
  platform?: string;
  /** Aborted when the plugin's timeoutMs is over: the plugin stops waiting. */
  signal?: AbortSignal;
}

export interface PluginDigestLookup {
  resolve(image: string, options: PluginDigestLookupOptions): Promise<PluginDigestAnswer>;
}

/** Nest injection token for the PluginDigestLookup port. */
export const PLUGIN_DIGEST_LOOKUP = Symbol('PLUGIN_DIGEST_LOOKUP');

/**
 * The decision's port to the registry (hexagonal style): the decision service asks it for a reference's
 * current digest. The registry module's DigestService has exactly this shape; tests bind fakes.
 * Bind it with `DecisionModule.withDigestLookup(RegistryModule, DigestService)` (decision.module.ts).
 * Without a binding, decisions that need the registry say that it was not consulted.
 */
export interface DigestLookupOptions {
  /** `os/architecture[/variant]` of the node: the answer then also names that platform's manifest. */
  platform?: string | null;
  /** The pod's pull secrets (`.dockerconfigjson` JSON text), tried before the service's own credentials. */
  pullSecrets?: readonly { dockerconfigjson: string }[];
}

/** The fields of the registry module's DigestAnswer that the decision reads. */
export interface DigestLookupAnswer {
  /** The digest the reference resolves to (for a tag of a multi-architecture image: the index digest). */
  digest: string;
  /** The platform's manifest, when a platform was asked for. */
  platform?: { platform: string; digest: string } | null;
  /** Served from cache while the registry fails (stale-if-error). */
  stale?: boolean;
}

/**
 * Resolves an image reference at its registry. Failures are thrown as ApiError with the registry codes:
 * ManifestUnknown, RegistryUnauthorized, RegistryUnavailable, RegistryTimeout, RegistryRateLimited,
 * RegistryNotAllowed.
 */
export interface DigestLookup {
  resolve(image: string, options: DigestLookupOptions): Promise<DigestLookupAnswer>;
}

/** Nest injection token for the DigestLookup port. */
export const DIGEST_LOOKUP = Symbol('DIGEST_LOOKUP');
